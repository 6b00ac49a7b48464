import type { ElfFile } from '../elf/file.js';
import { placeSection, type LinkerScript } from '../kernel/linker-script/index.js';
import { isMappingSymbol } from '../elf/symbols.js';
import { BootRelocations } from '../elf/boot-relocations.js';
import { compareSection, finalAddress, linkPair } from './compare.js';
import { linkedRelocationIndex, type Placements } from './placement.js';
import { fieldRule } from '../elf/relocation-values.js';
import type { ElfSection } from '../elf/table.js';
import { ORC_ENTRY_SIZE, ORC_IP_SIZE } from '../arch/x86/orc.js';
import { EM_X86_64 } from '../elf/constants.js';

/** The tables of vmlinux that scripts/sorttable sorts after the link. */
const SORTED_AFTER_LINK = new Set(['__ex_table', '.orc_unwind_ip', '.orc_unwind']);

/** Most places a section is tried at in one linked section. */
const SEARCH_LIMIT = 1 << 20;

/**
 * A section that neither symbols nor references place, but that carries relocations of its
 * own (a table of code addresses: `.return_sites`, `.orc_unwind_ip`) is looked for in the
 * linked section the script puts it in (the one of the same name without a script): placed
 * where its bytes, relocated there, are exactly the linked ones and the linked relocation
 * entries match — and only if exactly one such place exists.
 */
export function searchPlacements(frozen: ElfFile, linked: ElfFile, placements: Placements, script: LinkerScript | undefined): void {
  const link = linkPair(frozen, linked, placements.placed);
  // Only tables: a section with symbols of its own that were not found is not looked for byte by byte.
  const named = new Set(link.symbols.filter((x) => x.name !== '' && x.type !== 'section' && x.type !== 'file' && !isMappingSymbol(x)).map((x) => x.shndx));
  for (const entry of placements.sections) {
    if (!placements.open.has(entry.index) || !entry.hasBytes || named.has(entry.index)) continue;
    const section = frozen.sectionAt(entry.index);
    const relocations = frozen.relocationsFor(section).reduce((n, t) => n + t.count, 0);
    if (relocations === 0) continue;
    const where = script && !linked.isRelocatable ? placeSection(script, section.name, frozen.name) : undefined;
    const output = where?.kind === 'placed' ? where.output : section.name;
    const target = linked.sections.find((s) => s.name === output);
    if (!target || target.size < section.size) continue;
    const start = linked.isRelocatable ? 0n : target.addr;
    const step = BigInt(Math.max(section.addralign, 1));
    const hits: bigint[] = [];
    let tried = 0;
    const plausible = firstFieldAt(frozen, linked, placements, section, target);
    if (!plausible) {
      entry.placement = { kind: 'unplaced', reason: `it has no symbols, no placed section refers to it, and its first relocated field cannot be computed to look for it in ${target.name}` };
      continue;
    }
    for (let base = start; base + BigInt(section.size) <= start + BigInt(target.size) && tried < SEARCH_LIMIT; base += step, tried++) {
      if (!plausible(base)) continue;
      const r = compareSection(link, { frozen: section, linked: target, address: base });
      // Fields into sections not placed yet (.altinstructions into .altinstr_replacement) are
      // judged once those are placed from here; every other byte and field must fit.
      const waiting = r.unverified.every((u) => u.reason.endsWith(' is not placed'));
      if (r.differences.length === 0 && waiting && r.comparison.relocatedFields > 0) hits.push(base);
      if (hits.length > 1) break;
    }
    if (hits.length === 1) {
      placements.placed.set(section.index, { frozen: section, linked: target, address: hits[0]! });
      placements.open.delete(entry.index);
      entry.placement = { kind: 'placed', linkedSection: target.name, address: hits[0]!, how: 'search', agreeing: relocations, of: relocations };
    } else {
      entry.placement = {
        kind: 'unplaced',
        reason:
          hits.length === 0
            ? `no place in ${target.name} holds its bytes with its ${relocations} relocated fields as the linked addresses give them${SORTED_AFTER_LINK.has(target.name) && !linked.isRelocatable ? ' (scripts/sorttable sorts this table of vmlinux after the link: its entries are spread over it, their relative fields rewritten)' : ''}`
            : `more than one place in ${target.name} holds its bytes with its ${relocations} relocated fields`,
      };
    }
  }
}

/**
 * A cheap first test of a place, so that a search over a large table compares whole
 * sections only where its first relocated field already fits: in a linked executable the
 * field holds the value the relocation computes there; in a .ko the linked file has a
 * relocation of the same type there. undefined when the first field cannot be computed: the
 * search is not made (comparing the whole section at every place of a large one is not).
 */
function firstFieldAt(frozen: ElfFile, linked: ElfFile, placements: Placements, section: ElfSection, target: ElfSection): ((base: bigint) => boolean) | undefined {
  const table = frozen.relocationsFor(section).find((t) => t.count > 0);
  if (!table) return undefined;
  const offset = table.offsetAt(0);
  const type = table.typeAt(0);
  if (linked.isRelocatable) {
    const entries = linkedRelocationIndex(linked).get(target.index);
    return (base) => entries?.get(base + offset)?.type === type;
  }
  const rule = fieldRule(frozen.header.machine, type);
  const sym = frozen.symbols()[table.symbolIndexAt(0)];
  const s = sym ? finalAddress(sym, frozen, linked, placements.placed) : 'no symbol';
  if (!rule || typeof s === 'string' || Number(offset) + rule.width > section.size) return undefined;
  const original = frozen.sectionData(section).subarray(Number(offset), Number(offset) + rule.width);
  const a = table.addendAt(0) ?? rule.implicitAddend(original, frozen.header.littleEndian);
  const data = linked.sectionData(target);
  const bytes = BootRelocations.of(linked)?.applied(data, target.addr) ?? data;
  return (base) => {
    const at = Number(base - target.addr + offset);
    return rule.write(original, { s, a, p: base + offset }, frozen.header.littleEndian).equals(bytes.subarray(at, at + rule.width));
  };
}

/**
 * x86 ORC: entry i of `.orc_unwind` belongs to entry i of `.orc_unwind_ip`, and ld keeps the
 * two tables in step; `.orc_unwind` has neither symbols nor relocations, so it is placed
 * beside its `.orc_unwind_ip` entries, if its bytes are there. (In a vmlinux scripts/sorttable
 * sorts both tables after the link: there they are not found, and say so.)
 */
export function pairOrcTables(frozen: ElfFile, linked: ElfFile, placements: Placements): void {
  if (frozen.header.machine !== EM_X86_64) return;
  const entry = placements.sections.find((s) => s.name === '.orc_unwind');
  const ip = frozen.section('.orc_unwind_ip');
  const ipPlaced = ip ? placements.placed.get(ip.index) : undefined;
  const section = frozen.section('.orc_unwind');
  const target = linked.sections.find((s) => s.name === '.orc_unwind');
  if (!entry || entry.placement.kind !== 'unplaced' || !ipPlaced || !section || !target) return;
  const ipStart = linked.isRelocatable ? 0n : ipPlaced.linked.addr;
  const start = linked.isRelocatable ? 0n : target.addr;
  const address = start + ((ipPlaced.address - ipStart) / BigInt(ORC_IP_SIZE)) * BigInt(ORC_ENTRY_SIZE);
  if (address + BigInt(section.size) > start + BigInt(target.size)) return;
  const r = compareSection(linkPair(frozen, linked, placements.placed), { frozen: section, linked: target, address });
  if (r.differences.length > 0) {
    entry.placement = { kind: 'unplaced', reason: `the entries beside its .orc_unwind_ip entries in ${target.name} are not its bytes` };
    return;
  }
  placements.placed.set(section.index, { frozen: section, linked: target, address });
  placements.open.delete(entry.index);
  entry.placement = { kind: 'placed', linkedSection: target.name, address, how: 'paired', agreeing: section.size / ORC_ENTRY_SIZE, of: section.size / ORC_ENTRY_SIZE };
}
