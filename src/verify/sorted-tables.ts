import { readRange, symbolAddress } from '../arch/patch-tables.js';
import { SHN_LORESERVE, SHN_UNDEF } from '../elf/constants.js';
import type { ElfFile } from '../elf/file.js';
import { fieldRule } from '../elf/relocation-values.js';
import { SymbolMap } from '../elf/symbol-map.js';
import type { ElfSymbol } from '../elf/symbols.js';
import type { SectionComparison } from '../facts/verify.js';
import { finalAddress } from './compare.js';
import { functionAfterPrefix } from './patch-sites.js';
import type { Placements } from './placement.js';

/**
 * Tables of code addresses that scripts/sorttable sorts after the link, so that an object's
 * entries are spread over the linked table, among every other object's: its section is
 * nowhere as a unit, but each entry's value must be in the table. The ftrace call sites:
 * `__mcount_loc` (x86 objtool, recordmcount) and `__patchable_function_entries` (arm64,
 * -fpatchable-function-entry) both go between __start_mcount_loc and __stop_mcount_loc
 * (MCOUNT_REC, include/asm-generic/vmlinux.lds.h), sorted under CONFIG_BUILDTIME_MCOUNT_SORT
 * (scripts/sorttable.c, which on arm64 sorts the addends of the .rela.dyn entries instead).
 */
const SORTED_TABLES: readonly { readonly inputs: readonly string[]; readonly start: string; readonly stop: string; readonly table: string }[] = [
  { inputs: ['__mcount_loc', '__patchable_function_entries'], start: '__start_mcount_loc', stop: '__stop_mcount_loc', table: '__mcount_loc' },
];

const ENTRY_SIZE = 8;

/** The linked table's entries as the kernel reads them (boot relocations applied), as hex. */
function linkedEntries(linked: ElfFile, start: bigint, stop: bigint, table: string): Set<string> {
  const bytes = readRange(linked, start, stop, table);
  const out = new Set<string>();
  for (let o = 0; o + ENTRY_SIZE <= bytes.length; o += ENTRY_SIZE) out.add(bytes.subarray(o, o + ENTRY_SIZE).toString('hex'));
  return out;
}

/**
 * Judges each frozen section of a sorted table that nothing else placed in a linked
 * executable: every entry's value, computed with the linked addresses, must be an entry of
 * the linked table. All found: the section is `sorted`, with a comparison of its bytes (all
 * relocated fields); otherwise it stays unplaced, saying how many were not found.
 */
export function judgeSortedTables(frozen: ElfFile, linked: ElfFile, placements: Placements): SectionComparison[] {
  if (linked.isRelocatable || !linked.header.is64) return [];
  const compared: SectionComparison[] = [];
  for (const t of SORTED_TABLES) {
    const start = symbolAddress(linked, t.start);
    const stop = symbolAddress(linked, t.stop);
    if (start === undefined || stop === undefined || stop < start) continue;
    let entries: Set<string> | undefined;
    let functions: SymbolMap | undefined;
    for (const entry of placements.sections) {
      if (!t.inputs.includes(entry.name) || entry.placement.kind !== 'unplaced' || !entry.hasBytes) continue;
      const section = frozen.sectionAt(entry.index);
      entries ??= linkedEntries(linked, start, stop, t.table);
      const certified = frozen.sectionData(section);
      let fields = 0;
      const missing: string[] = [];
      const uncomputed: string[] = [];
      /** Weak functions of the object that another definition overrides: sorttable zeroes their entries. */
      const overridden: string[] = [];
      functions ??= SymbolMap.functions(frozen);
      for (const table of frozen.relocationsFor(section)) {
        for (let i = 0; i < table.count; i++) {
          const offset = Number(table.offsetAt(i));
          const rule = fieldRule(frozen.header.machine, table.typeAt(i));
          const sym = frozen.symbols()[table.symbolIndexAt(i)];
          const s = sym ? finalAddress(sym, frozen, linked, placements.placed) : 'no such symbol';
          if (!rule || rule.width !== ENTRY_SIZE || typeof s === 'string' || offset % ENTRY_SIZE !== 0 || offset + ENTRY_SIZE > certified.length) {
            uncomputed.push(`+0x${offset.toString(16)}${typeof s === 'string' ? ` (${s})` : ''}`);
            continue;
          }
          const original = certified.subarray(offset, offset + ENTRY_SIZE);
          const a = table.addendAt(i) ?? rule.implicitAddend(original, frozen.header.littleEndian);
          const value = rule.write(original, { s, a, p: 0n }, frozen.header.littleEndian).toString('hex');
          if (entries.has(value)) fields++;
          else {
            const lost = sym ? overriddenWeakFunction(frozen, linked, placements, functions, sym, a) : undefined;
            if (lost) overridden.push(lost);
            else missing.push(`+0x${offset.toString(16)}`);
          }
        }
      }
      const within = `the linked ${t.table} table (${t.start}..${t.stop}, which scripts/sorttable sorts after the link)`;
      if (uncomputed.length > 0 || missing.length > 0 || (fields + overridden.length) * ENTRY_SIZE !== section.size) {
        const why = [
          uncomputed.length > 0 ? `${uncomputed.length} entries could not be computed (${uncomputed.slice(0, 3).join(', ')})` : '',
          missing.length > 0 ? `${missing.length} of its ${fields + overridden.length + missing.length} entries are not in ${within} (${missing.slice(0, 3).join(', ')})` : '',
          (fields + overridden.length) * ENTRY_SIZE !== section.size && uncomputed.length === 0 && missing.length === 0 ? `its ${section.size} bytes are not all ${ENTRY_SIZE}-byte relocated entries` : '',
        ].filter(Boolean);
        entry.placement = { kind: 'unplaced', reason: why.join('; ') };
        continue;
      }
      entry.placement = { kind: 'sorted', table: t.table, entries: fields, overridden };
      placements.open.delete(entry.index);
      compared.push({ section: section.name, bytes: fields * ENTRY_SIZE, relocatedFields: fields, differingBytes: 0 });
    }
  }
  return compared;
}

/**
 * The weak function of the frozen object an entry (symbol + addend) belongs to, when the link
 * kept another definition of its name: its code stays in vmlinux under no symbol, so
 * sorttable, which keeps only entries inside the functions `nm` lists, zeroes its entry.
 * The entry is at the function's first byte, or before it (arm64's patchable entry NOPs).
 */
function overriddenWeakFunction(frozen: ElfFile, linked: ElfFile, placements: Placements, functions: SymbolMap, sym: ElfSymbol, addend: bigint): string | undefined {
  if (sym.shndx === SHN_UNDEF || sym.shndx >= SHN_LORESERVE) return undefined;
  const at = (sym.type === 'section' ? 0n : sym.value) + addend;
  const f = functions.containing(sym.shndx, at) ?? functionAfterPrefix(functions, sym.shndx, at)?.symbol;
  if (!f || f.binding !== 'weak') return undefined;
  const ours = placements.placed.get(f.shndx);
  const kept = linked.symbolsNamed(f.name).find((s) => s.shndx !== SHN_UNDEF && s.shndx < SHN_LORESERVE);
  if (!ours || !kept || kept.value === ours.address + f.value) return undefined;
  return f.name;
}
