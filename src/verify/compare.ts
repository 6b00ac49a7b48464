import { SHF_ALLOC, SHN_ABS, SHN_COMMON, SHN_LORESERVE, SHN_UNDEF, SHT_NOBITS, SHT_NOTE } from '../elf/constants.js';
import type { ElfFile } from '../elf/file.js';
import { relocationTypeName } from '../elf/relocations.js';
import { relocationWidth } from '../elf/relocation-types.js';
import { fieldRule, isNoneRelocation, type FieldRule } from '../elf/relocation-values.js';
import { SymbolMap } from '../elf/symbol-map.js';
import type { ElfSymbol } from '../elf/symbols.js';
import type { ElfSection } from '../elf/table.js';
import type { ByteDifference, Padding, SectionComparison, UnverifiedField } from '../facts/verify.js';
import { BootRelocations, linkedBytesAt } from '../elf/boot-relocations.js';
import { linkedRelocationIndex, mergedKind, type Placed } from './placement.js';

export interface Comparison {
  readonly compared: SectionComparison[];
  readonly differences: ByteDifference[];
  readonly unverified: UnverifiedField[];
  readonly padding: Padding[];
}

/** How many bytes of padding are quoted. */
const FILL_QUOTED = 32;

/** `name+0xoff` of the function or data object of `frozen` holding `offset` of section `shndx`. */
export function locator(frozen: ElfFile): (shndx: number, offset: number) => string | undefined {
  const map = new SymbolMap(frozen.symbols(), ['func', 'object']);
  return (shndx, offset) => {
    const s = map.containing(shndx, offset);
    return s ? `${s.name}+0x${(BigInt(offset) - s.value).toString(16)}` : undefined;
  };
}

/** The linked bytes at `p`: in an executable, as they are once the kernel has applied its boot relocations. */
function linkedBytes(linked: ElfFile, p: Placed, length: number): Buffer {
  if (linked.isRelocatable) return linked.source.read(p.linked.offset + Number(p.address), length, `${p.linked.name} bytes of ${p.frozen.name}`);
  return linkedBytesAt(linked, p.linked, p.address, length, `${p.linked.name} bytes of ${p.frozen.name}`);
}

/**
 * Compares each placed section that has bytes with the linked file. In a linked executable
 * the frozen object's relocations are applied with the linked file's final addresses and
 * the result must equal the linked bytes; in a .ko (ld -r) the bytes must be equal as they
 * are and each relocation entry must have its counterpart, to the same target.
 */
export function compareSections(frozen: ElfFile, linked: ElfFile, placed: Map<number, Placed>): Comparison {
  const out: Comparison = { compared: [], differences: [], unverified: [], padding: [] };
  const link = linkPair(frozen, linked, placed);
  const sorted = [...placed.values()].filter((p) => p.frozen.type !== SHT_NOBITS && p.frozen.type !== SHT_NOTE).sort((a, b) => a.frozen.index - b.frozen.index);
  for (const p of sorted) {
    const result = compareSection(link, p);
    out.compared.push(result.comparison);
    out.differences.push(...result.differences);
    out.unverified.push(...result.unverified);
  }
  out.padding.push(...paddingBetween(linked, [...placed.values()]));
  return out;
}

/**
 * What every section of one frozen object compares against: the linked file, the sections
 * placed so far, and the frozen object's symbols with their `name+0xoff` locator (both made
 * once per object, not per section).
 */
export interface LinkPair {
  readonly frozen: ElfFile;
  readonly linked: ElfFile;
  readonly placed: Map<number, Placed>;
  readonly symbols: readonly ElfSymbol[];
  readonly within: (shndx: number, offset: number) => string | undefined;
}

export function linkPair(frozen: ElfFile, linked: ElfFile, placed: Map<number, Placed>): LinkPair {
  return { frozen, linked, placed, symbols: frozen.symbols(), within: locator(frozen) };
}

/** One placed section against the linked bytes (and, in a .ko, the linked relocation entries). */
export function compareSection(link: LinkPair, p: Placed): SectionResult {
  const certified = link.frozen.sectionData(p.frozen);
  const found = linkedBytes(link.linked, p, certified.length);
  return link.linked.isRelocatable ? compareModuleSection(link, p, certified, found) : compareExecutableSection(link, p, certified, found);
}

export interface SectionResult {
  comparison: SectionComparison;
  differences: ByteDifference[];
  unverified: UnverifiedField[];
}

interface Field {
  readonly start: number;
  readonly width: number;
  readonly type: string;
  readonly symbol: string;
  readonly addend: bigint;
}

/** S, the final address of a frozen relocation's symbol in the linked executable, or why it is not known. */
export function finalAddress(sym: ElfSymbol, frozen: ElfFile, linked: ElfFile, placed: Map<number, Placed>): bigint | string {
  if (sym.shndx === SHN_ABS) return sym.value;
  if (sym.shndx !== SHN_UNDEF && sym.shndx !== SHN_COMMON && sym.shndx < SHN_LORESERVE) {
    // ld resolves a weak definition to the definition of that name it kept: a strong one
    // elsewhere (init/main.c's weak free_initmem, the architecture's), or the first weak one.
    if (sym.binding === 'weak') {
      const kept = linked.symbolsNamed(sym.name).find((s) => s.shndx !== SHN_UNDEF);
      if (kept) return kept.value;
    }
    const p = placed.get(sym.shndx);
    if (!p) return `its section ${frozen.sectionAt(sym.shndx).name} is not placed`;
    return p.address + (sym.type === 'section' ? 0n : sym.value);
  }
  const defs = linked.symbolsNamed(sym.name).filter((s) => s.shndx !== SHN_UNDEF);
  const global = defs.find((s) => s.binding === 'global') ?? defs[0];
  if (global) return global.value;
  const localized = linked.localizedDefinition(sym.name);
  if (localized) return localized.value;
  if (sym.binding === 'weak') return 0n;
  return 'no symbol of that name is defined in the linked file';
}

function compareExecutableSection(link: LinkPair, p: Placed, certified: Buffer, found: Buffer): SectionResult {
  const { frozen, linked, placed, symbols, within } = link;
  const machine = frozen.header.machine;
  const le = frozen.header.littleEndian;
  const expected = Buffer.from(certified);
  /** Per byte: 0 not in a field, i + 1 in fields[i], -1 in a field that could not be computed. */
  const fieldOf = new Int32Array(certified.length);
  const fields: Field[] = [];
  const unverified: UnverifiedField[] = [];
  const differences: ByteDifference[] = [];
  const badFields = new Set<number>();
  const halves = addressHalves(frozen, p);
  for (const table of frozen.relocationsFor(p.frozen)) {
    for (let i = 0; i < table.count; i++) {
      const type = table.typeAt(i);
      if (isNoneRelocation(type)) continue;
      const offset = Number(table.offsetAt(i));
      const sym = symbols[table.symbolIndexAt(i)];
      const typeName = relocationTypeName(machine, type);
      const symbolName = sym ? (sym.type === 'section' ? frozen.sectionAt(sym.shndx).name : sym.name) : `#${table.symbolIndexAt(i)}`;
      const rule = fieldRule(machine, type);
      const width = rule?.width ?? relocationWidth(typeName);
      const into = sym && sym.shndx !== SHN_UNDEF && sym.shndx < SHN_LORESERVE ? frozen.sectionAt(sym.shndx) : undefined;
      if (rule && into && mergedKind(into) && offset + width <= certified.length) {
        const check = checkMergedReference(frozen, linked, p, offset, rule, table.addendAt(i), sym!, into, halves, `${table.symbolIndexAt(i)}:${table.addendAt(i)}`);
        if (typeof check === 'string') {
          unverified.push({ section: p.frozen.name, offset, type: typeName, symbol: symbolName, reason: check, within: within(p.frozen.index, offset) });
          fieldOf.fill(-1, offset, offset + width);
          continue;
        }
        found.copy(expected, offset, offset, offset + width);
        fields.push({ start: offset, width, type: typeName, symbol: symbolName, addend: check.addend });
        fieldOf.fill(fields.length, offset, offset + width);
        if (!check.same) {
          badFields.add(fields.length);
          differences.push({
            section: p.frozen.name,
            offset,
            length: width,
            linkedSection: p.linked.name,
            address: p.address + BigInt(offset),
            within: within(p.frozen.index, offset),
            expected: check.certified,
            found: check.linked,
            cause: 'merged-piece',
            relocation: { type: typeName, symbol: symbolName, addend: check.addend },
            buildStep: undefined,
          });
        }
        continue;
      }
      const s = sym ? finalAddress(sym, frozen, linked, placed) : 'no such symbol';
      if (!rule || typeof s === 'string' || offset + width > certified.length) {
        const reason = !rule ? unmodelledType(typeName) : typeof s === 'string' ? s : 'the field lies past the end of its section';
        unverified.push({ section: p.frozen.name, offset, type: typeName, symbol: symbolName, reason, within: within(p.frozen.index, offset) });
        fieldOf.fill(-1, offset, Math.min(offset + width, certified.length));
        continue;
      }
      const original = certified.subarray(offset, offset + width);
      const a = table.addendAt(i) ?? rule.implicitAddend(original, le);
      rule.write(original, { s, a, p: p.address + BigInt(offset) }, le).copy(expected, offset);
      fields.push({ start: offset, width, type: typeName, symbol: symbolName, addend: a });
      fieldOf.fill(fields.length, offset, offset + width);
    }
  }
  // A place the kernel relocates at boot where the object has no field of its own: bytes the certified object never asked to change.
  for (const r of BootRelocations.of(linked)?.within(p.address, p.address + BigInt(certified.length)) ?? []) {
    const offset = Number(r.address - p.address);
    const f = fieldOf[offset]!;
    if (f === -1 || (f > 0 && fields[f - 1]!.start === offset)) continue;
    differences.push({
      section: p.frozen.name,
      offset,
      length: 8,
      linkedSection: p.linked.name,
      address: r.address,
      within: within(p.frozen.index, offset),
      expected: 'no relocation',
      found: BootRelocations.describe(r),
      cause: 'relocation-entry',
      relocation: undefined,
      buildStep: undefined,
    });
  }
  let differing = 0;
  for (let i = 0; i < certified.length; ) {
    if (fieldOf[i] === -1 || expected[i] === found[i]) {
      i++;
      continue;
    }
    let end = i;
    let field = 0;
    while (end < certified.length && fieldOf[end] !== -1 && expected[end] !== found[end]) {
      if (fieldOf[end]! > 0 && field === 0) field = fieldOf[end]!;
      if (fieldOf[end]! > 0) badFields.add(fieldOf[end]!);
      end++;
    }
    differing += end - i;
    differences.push(differenceAt(link, p, i, end, expected, found, field > 0 ? fields[field - 1] : undefined));
    i = end;
  }
  return {
    comparison: { section: p.frozen.name, bytes: certified.length, relocatedFields: fields.length - badFields.size, differingBytes: differing },
    differences,
    unverified,
  };
}

/** Why a relocation type's field is not computed. */
function unmodelledType(typeName: string): string {
  // A GOT-relative field is resolved through a GOT slot ld fills, or relaxed to address the
  // symbol directly (arm64 ADRP+LDR of the slot become ADRP+ADD; x86 GOTPCRELX mov becomes lea).
  return typeName.includes('GOT')
    ? `relocation type ${typeName} goes through the GOT, which ld fills or relaxes: not modelled`
    : `relocation type ${typeName} is not one a kernel link resolves`;
}

/** The AArch64 address halves of a section's relocations, by symbol index and addend. */
function addressHalves(frozen: ElfFile, p: Placed): Map<string, { offset: number; rule: FieldRule }[]> {
  const out = new Map<string, { offset: number; rule: FieldRule }[]>();
  for (const table of frozen.relocationsFor(p.frozen)) {
    for (let i = 0; i < table.count; i++) {
      const rule = fieldRule(frozen.header.machine, table.typeAt(i));
      if (!rule?.part) continue;
      const key = `${table.symbolIndexAt(i)}:${table.addendAt(i)}`;
      let list = out.get(key);
      if (!list) out.set(key, (list = []));
      list.push({ offset: Number(table.offsetAt(i)), rule });
    }
  }
  return out;
}

/**
 * Bytes [start, end) of placed section `p` that differ: `expected` is what the certified
 * bytes should be there (relocated, in an executable), `field` the relocated field they begin
 * in. Only an executable's differences can be a build step's (a .ko is compared as ld -r left it).
 */
function differenceAt(link: LinkPair, p: Placed, start: number, end: number, expected: Buffer, found: Buffer, field: Field | undefined): ByteDifference {
  const within = link.within(p.frozen.index, start);
  return {
    section: p.frozen.name,
    offset: start,
    length: end - start,
    linkedSection: p.linked.name,
    address: p.address + BigInt(start),
    within,
    expected: expected.subarray(start, end).toString('hex'),
    found: found.subarray(start, end).toString('hex'),
    cause: field ? 'relocated-field' : 'bytes',
    relocation: field ? { type: field.type, symbol: field.symbol, addend: field.addend } : undefined,
    buildStep: link.linked.isRelocatable ? undefined : buildStepOf(p.frozen.name, within),
  };
}

/**
 * The steps of a kernel build that write into vmlinux after the link, and what they write:
 * resolve_btfids fills the BTF ids of .BTF_ids sets; scripts/sorttable sorts __ex_table
 * (and the ORC tables) and then clears main_extable_sort_needed.
 */
function buildStepOf(section: string, within: string | undefined): string | undefined {
  if (section === '.BTF_ids') return 'resolve_btfids writes the BTF ids of .BTF_ids into vmlinux after the link';
  if (within?.startsWith('main_extable_sort_needed+')) return 'scripts/sorttable clears main_extable_sort_needed once it has sorted __ex_table';
  return undefined;
}

/** Longest merged piece compared (a string in a SHF_MERGE section). */
const PIECE_LIMIT = 4096;

/** The bytes at `address` of a linked executable, from the allocated section holding them. */
function readAddress(linked: ElfFile, address: bigint, length: number): Buffer | undefined {
  const s = linked.sections.find((x) => (x.flags & SHF_ALLOC) !== 0 && x.type !== SHT_NOBITS && address >= x.addr && address < x.addr + BigInt(x.size));
  if (!s) return undefined;
  return linkedBytesAt(linked, s, address, Math.min(length, s.size - Number(address - s.addr)), `merged piece at 0x${address.toString(16)}`);
}

/**
 * A field pointing into a merged section: ld pointed it at wherever the piece (the string,
 * or the constant of sh_entsize bytes) at the field's symbol + addend ended up. The field's
 * linked value says where; the piece there must be the certified one.
 */
function checkMergedReference(
  frozen: ElfFile,
  linked: ElfFile,
  p: Placed,
  offset: number,
  rule: FieldRule,
  rela: bigint | undefined,
  sym: ElfSymbol,
  into: ElfSection,
  halves: ReadonlyMap<string, { offset: number; rule: FieldRule }[]>,
  key: string,
): { same: boolean; addend: bigint; certified: string; linked: string } | string {
  const le = frozen.header.littleEndian;
  const certifiedField = frozen.sectionData(p.frozen).subarray(offset, offset + rule.width);
  const a = rela ?? rule.implicitAddend(certifiedField, le);
  const at = p.address + BigInt(offset);
  const field = readAddress(linked, at, rule.width);
  if (!field || field.length < rule.width) return 'the field is not in the linked file';
  let target: bigint;
  if (rule.invert) {
    target = rule.invert(field, a, at, le) + a;
  } else if (rule.part) {
    // The other half of the same symbol + addend (ADRP with its ADD or load/store) completes the address.
    const other = halves.get(key)?.find((h) => h.rule.part!.half !== rule.part!.half);
    const otherAt = other && p.address + BigInt(other.offset);
    const otherField = otherAt !== undefined ? readAddress(linked, otherAt, 4) : undefined;
    if (!other || otherAt === undefined || !otherField) return `points into merged section ${into.name} through half an address whose other half is not in ${p.frozen.name}`;
    const mine = rule.part.read(field, at);
    const theirs = other.rule.part!.read(otherField, otherAt);
    target = rule.part.half === 'page' ? mine + theirs : theirs + mine;
  } else {
    return `points into merged section ${into.name} through a field that does not keep the whole address`;
  }
  const data = frozen.sectionData(into);
  const start = Number((sym.type === 'section' ? 0n : sym.value) + a);
  if (start < 0 || start >= data.length) return `points outside merged section ${into.name} (offset ${start})`;
  const strings = mergedKind(into) === 'strings';
  const end = strings ? data.indexOf(0, start) + 1 : start + Math.max(into.entsize, 1);
  if ((strings && end === 0) || end > data.length || end - start > PIECE_LIMIT) return `the piece at ${into.name}+0x${start.toString(16)} is not whole`;
  const piece = data.subarray(start, end);
  const there = readAddress(linked, target, piece.length) ?? Buffer.alloc(0);
  return { same: piece.equals(there), addend: a, certified: piece.toString('hex'), linked: there.toString('hex') };
}

type Target = string;

function compareModuleSection(link: LinkPair, p: Placed, certified: Buffer, found: Buffer): SectionResult {
  const { frozen, linked, placed, symbols, within } = link;
  const machine = frozen.header.machine;
  const differences: ByteDifference[] = [];
  const unverified: UnverifiedField[] = [];
  let differing = 0;
  for (let i = 0; i < certified.length; ) {
    if (certified[i] === found[i]) {
      i++;
      continue;
    }
    let end = i;
    while (end < certified.length && certified[end] !== found[end]) end++;
    differing += end - i;
    differences.push(differenceAt(link, p, i, end, certified, found, undefined));
    i = end;
  }

  const linkedSymbols = linked.symbols();
  const entries = linkedRelocationIndex(linked).get(p.linked.index) ?? new Map();
  const frozenTarget = (sym: ElfSymbol, addend: bigint): Target | string => {
    if (sym.shndx === SHN_UNDEF || sym.shndx === SHN_COMMON) {
      // Another input of the module may define it (__this_module, in the .mod.o): ld -r then refers to its section.
      const def = linked.symbolsNamed(sym.name).find((d) => d.shndx !== SHN_UNDEF && d.shndx !== SHN_COMMON && d.shndx < SHN_LORESERVE);
      return def ? `${linked.sectionAt(def.shndx).name}${signed(def.value + addend)}` : `${sym.name}${signed(addend)}`;
    }
    const at = placed.get(sym.shndx);
    if (!at) return `its section ${frozen.sectionAt(sym.shndx).name} is not placed`;
    return `${at.linked.name}${signed(at.address + (sym.type === 'section' ? 0n : sym.value) + addend)}`;
  };
  const linkedTarget = (symbolIndex: number, addend: bigint): Target => {
    const sym = linkedSymbols[symbolIndex];
    if (!sym) return `#${symbolIndex}`;
    if (sym.shndx === SHN_UNDEF || sym.shndx === SHN_COMMON) return `${sym.name}${signed(addend)}`;
    return `${linked.sectionAt(sym.shndx).name}${signed((sym.type === 'section' ? 0n : sym.value) + addend)}`;
  };
  let matched = 0;
  const seen = new Set<bigint>();
  for (const table of frozen.relocationsFor(p.frozen)) {
    for (let i = 0; i < table.count; i++) {
      const type = table.typeAt(i);
      if (isNoneRelocation(type)) continue;
      const offset = Number(table.offsetAt(i));
      const typeName = relocationTypeName(machine, type);
      const sym = symbols[table.symbolIndexAt(i)];
      const symbolName = sym ? (sym.type === 'section' ? frozen.sectionAt(sym.shndx).name : sym.name) : `#${table.symbolIndexAt(i)}`;
      const addend = table.addendAt(i);
      const where = p.address + BigInt(offset);
      seen.add(where);
      if (addend === undefined || !sym) {
        unverified.push({ section: p.frozen.name, offset, type: typeName, symbol: symbolName, reason: 'REL entries of a relocatable link are not compared (their addends sit in the bytes ld -r rewrites)', within: within(p.frozen.index, offset) });
        continue;
      }
      const want = frozenTarget(sym, addend);
      if (want.startsWith('its section')) {
        unverified.push({ section: p.frozen.name, offset, type: typeName, symbol: symbolName, reason: want, within: within(p.frozen.index, offset) });
        continue;
      }
      const entry = entries.get(where);
      const got = entry ? `${relocationTypeName(machine, entry.type)} ${linkedTarget(entry.symbolIndex, entry.addend)}` : 'no relocation';
      if (got === `${typeName} ${want}`) {
        matched++;
        continue;
      }
      differences.push({
        section: p.frozen.name,
        offset,
        length: relocationWidth(typeName),
        linkedSection: p.linked.name,
        address: where,
        within: within(p.frozen.index, offset),
        expected: `${typeName} ${want}`,
        found: got,
        cause: 'relocation-entry',
        relocation: { type: typeName, symbol: symbolName, addend },
        buildStep: undefined,
      });
    }
  }
  // A relocation the linked file has inside the object's bytes and the object does not: a field the loader will write that the certified object never asked for.
  for (const [where, entry] of entries) {
    if (seen.has(where) || where < p.address || where >= p.address + BigInt(certified.length)) continue;
    const offset = Number(where - p.address);
    const typeName = relocationTypeName(machine, entry.type);
    differences.push({
      section: p.frozen.name,
      offset,
      length: relocationWidth(typeName),
      linkedSection: p.linked.name,
      address: where,
      within: within(p.frozen.index, offset),
      expected: 'no relocation',
      found: `${typeName} ${linkedTarget(entry.symbolIndex, entry.addend)}`,
      cause: 'relocation-entry',
      relocation: undefined,
      buildStep: undefined,
    });
  }
  differences.sort((a, b) => a.offset - b.offset);
  return { comparison: { section: p.frozen.name, bytes: certified.length, relocatedFields: matched, differingBytes: differing }, differences, unverified };
}

function signed(v: bigint): string {
  return v < 0n ? `-0x${(-v).toString(16)}` : `+0x${v.toString(16)}`;
}

/**
 * The bytes between two consecutive input sections of the object in one linked section when
 * the gap is shorter than the next one's alignment: nothing else fits there, so they are
 * the linker's alignment fill, not the object's bytes.
 */
function paddingBetween(linked: ElfFile, placed: readonly Placed[]): Padding[] {
  const out: Padding[] = [];
  const byLinked = new Map<number, Placed[]>();
  for (const p of placed) {
    let list = byLinked.get(p.linked.index);
    if (!list) byLinked.set(p.linked.index, (list = []));
    list.push(p);
  }
  for (const list of byLinked.values()) {
    list.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1]!;
      const next = list[i]!;
      const end = prev.address + BigInt(prev.frozen.size);
      const gap = Number(next.address - end);
      if (gap <= 0 || gap >= Math.max(next.frozen.addralign, 1) || next.linked.type === SHT_NOBITS) continue;
      const fill = linkedBytes(linked, { ...prev, address: end }, Math.min(gap, FILL_QUOTED));
      out.push({ linkedSection: next.linked.name, after: prev.frozen.name, before: next.frozen.name, address: end, bytes: gap, fill: fill.toString('hex') });
    }
  }
  return out;
}
