import { SHF_ALLOC, SHN_LORESERVE, SHN_UNDEF, SHT_NOBITS, SHT_NOTE, SHT_RELA } from '../elf/constants.js';
import type { ElfFile } from '../elf/file.js';
import { LinkedObjects } from '../elf/linked-objects.js';
import { fieldRule } from '../elf/relocation-values.js';
import type { ElfSection } from '../elf/table.js';
import { isMappingSymbol, type ElfSymbol } from '../elf/symbols.js';
import { placeSection, type LinkerScript } from '../kernel/linker-script/index.js';
import type { SectionPlacement, VerifiedSection } from '../facts/verify.js';
import { linkedBytesAt } from '../elf/boot-relocations.js';
import { namesObject, type LinkMapEntry } from './link-map.js';

/** A frozen section placed in the linked file, for the comparison. */
export interface Placed {
  readonly frozen: ElfSection;
  readonly linked: ElfSection;
  /** Address (vmlinux) or offset in `linked` (a .ko) of the frozen section's first byte. */
  readonly address: bigint;
}

export interface Placements {
  readonly sections: VerifiedSection[];
  /** By frozen section index. */
  readonly placed: Map<number, Placed>;
  /** Sections no symbol, map or script settled: references or a search may still place them. */
  readonly open: Set<number>;
}

/**
 * The sections ld places: allocated, with contents or space — or empty but with a place that
 * matters: a symbol of its own (a zero-size lockdep key in an empty .bss) or a relocation
 * against it, whose value is the section's address.
 */
function allocatedSections(frozen: ElfFile): ElfSection[] {
  const symbols = frozen.symbols();
  const needed = new Set<number>();
  for (const s of symbols) if (s.name !== '' && s.type !== 'file' && s.type !== 'section') needed.add(s.shndx);
  for (const section of frozen.sections) {
    if ((section.flags & SHF_ALLOC) === 0) continue;
    for (const table of frozen.relocationsFor(section)) {
      for (let i = 0; i < table.count; i++) {
        const sym = symbols[table.symbolIndexAt(i)];
        if (sym) needed.add(sym.shndx);
      }
    }
  }
  return frozen.sections.filter((s) => (s.flags & SHF_ALLOC) !== 0 && (s.size > 0 || needed.has(s.index)));
}

function hasBytes(s: ElfSection): boolean {
  return s.type !== SHT_NOBITS && s.type !== SHT_NOTE;
}

/** The frozen object's own STT_FILE name ("sha256_generic.c"): its locals are looked for among the linked file's objects of that name. */
function fileName(frozen: ElfFile): string | undefined {
  return frozen.symbols().find((s) => s.type === 'file' && s.name !== '')?.name;
}

/**
 * Where each allocated input section of `frozen` is in `linked`:
 *
 * 0. A section a final link merges (SHF_MERGE, GNU property notes) is nowhere as a unit:
 *    stated as merged (compare.ts checks each reference into it). A section the linker
 *    script discards is stated as such. With an ld map file, its line for the section.
 * 1. By the symbols both files have: every named symbol the frozen section defines, looked
 *    up in the linked file (a global by name; a local by name among the linked file's
 *    objects of the same STT_FILE name), gives the places the section can start at; the
 *    section is placed where every symbol that was found agrees, inside one linked section.
 * 2. A section without symbols (`.rodata` reached through its section symbol) is placed by
 *    the relocated fields of already placed sections that point into it: in a linked
 *    executable the field's final value, in a .ko (ld -r) the relocation entry ld wrote;
 *    placed where they all agree.
 * Anything else is unplaced here, with the reason (search.ts may still find a table of code
 * addresses by its relocated bytes): more than one place, or none.
 */
export function placeSections(frozen: ElfFile, linked: ElfFile, script: LinkerScript | undefined, map?: readonly LinkMapEntry[]): Placements {
  const executable = !linked.isRelocatable;
  const allocated = allocatedSections(frozen);
  const symbolsBySection = new Map<number, ElfSymbol[]>();
  for (const s of frozen.symbols()) {
    if (s.name === '' || s.type === 'section' || s.type === 'file' || isMappingSymbol(s) || s.shndx === SHN_UNDEF || s.shndx >= SHN_LORESERVE) continue;
    let list = symbolsBySection.get(s.shndx);
    if (!list) symbolsBySection.set(s.shndx, (list = []));
    list.push(s);
  }

  const objects = LinkedObjects.of(linked);
  const candidatesOf = linkedCandidates(frozen, linked, objects, [...symbolsBySection.values()].flat());
  const placed = new Map<number, Placed>();
  const results = new Map<number, SectionPlacement>();
  /** The linked objects (STT_FILE groups) whose local symbols placed a section. */
  const groups = new Set<number>();
  const ambiguous: { section: ElfSection; symbols: ElfSymbol[]; found: number; places: number }[] = [];

  interface BySymbols {
    fitting: [string, number][];
    found: number;
    of: number;
    /** The linked objects of the local symbols behind each place. */
    groupsAt: Map<string, Set<number>>;
  }
  /** The places the section's symbols agree on; locals only from linked object `group` when given. */
  const bySymbols = (section: ElfSection, symbols: readonly ElfSymbol[], group: number | undefined): BySymbols => {
    let agreed: Map<string, number> | undefined;
    let found = 0;
    const groupsAt = new Map<string, Set<number>>();
    // A weak definition may have lost to another object's definition of the same name (main.c's
    // free_initmem to the architecture's strong one; of two weak ones ld keeps the first): its
    // namesake in the linked file is then someone else's. Weak symbols are asked only when the
    // section has no other, and then a strong namesake is not theirs.
    const strong = symbols.filter((x) => x.binding !== 'weak');
    const asked = strong.length > 0 ? strong : symbols;
    for (const sym of asked) {
      const here = new Map<string, number>();
      for (const c of candidatesOf(sym)) {
        if (sym.binding === 'weak' && c.binding !== 'weak') continue;
        const object = sym.binding === 'local' ? objects?.objectOfSymbol(c.index) : undefined;
        if (group !== undefined && sym.binding === 'local' && object !== group) continue;
        const key = `${c.shndx}:${c.value - sym.value}`;
        here.set(key, c.shndx);
        if (object !== undefined) {
          let set = groupsAt.get(key);
          if (!set) groupsAt.set(key, (set = new Set()));
          set.add(object);
        }
      }
      if (here.size === 0) continue;
      found++;
      if (!agreed) agreed = here;
      else for (const key of agreed.keys()) if (!here.has(key)) agreed.delete(key);
    }
    const fitting = [...(agreed ?? new Map<string, number>()).entries()].filter(([key, shndx]) => fits(linked, shndx, BigInt(key.split(':')[1]!), section, executable));
    return { fitting, found, of: asked.length, groupsAt };
  };
  const settle = (section: ElfSection, r: BySymbols): void => {
    const [key, shndx] = r.fitting[0]!;
    const linkedSection = linked.sectionAt(shndx);
    const address = BigInt(key.split(':')[1]!);
    placed.set(section.index, { frozen: section, linked: linkedSection, address });
    results.set(section.index, { kind: 'placed', linkedSection: linkedSection.name, address, how: 'symbols', agreeing: r.found, of: r.of });
    for (const g of r.groupsAt.get(key) ?? []) groups.add(g);
  };

  for (const section of allocated) {
    // ld -r keeps SHF_MERGE sections whole; a final link merges them.
    const merged = mergedKind(section);
    if (merged && (executable || merged === 'notes')) {
      results.set(section.index, { kind: 'merged', what: merged });
      continue;
    }
    const discard = script ? placeSection(script, section.name, frozen.name) : undefined;
    if (discard?.kind === 'discarded') {
      results.set(section.index, { kind: 'discarded', rule: discard.rule, line: discard.line });
      continue;
    }
    if (map) {
      const fromMap = mapPlacement(map, frozen, linked, section, executable);
      if (fromMap) {
        results.set(section.index, fromMap.placement);
        if (fromMap.placed) placed.set(section.index, fromMap.placed);
        continue;
      }
    }
    const symbols = symbolsBySection.get(section.index) ?? [];
    if (symbols.length === 0) continue;
    const r = bySymbols(section, symbols, undefined);
    if (r.fitting.length === 1) settle(section, r);
    else if (r.fitting.length > 1) ambiguous.push({ section, symbols, found: r.found, places: r.fitting.length });
    else if (r.found > 0) results.set(section.index, { kind: 'unplaced', reason: `its ${r.found} symbols found in the linked file do not agree on one place` });
  }

  // Several linked objects share the object's file name (two core.c): the one its other
  // sections were found in by their local symbols decides, when there is exactly one.
  const group = groups.size === 1 ? [...groups][0] : undefined;
  for (const a of ambiguous) {
    const r = group === undefined ? undefined : bySymbols(a.section, a.symbols, group);
    if (r && r.fitting.length === 1) settle(a.section, r);
    else results.set(a.section.index, { kind: 'unplaced', reason: `its ${a.found} symbols found in the linked file fit ${a.places} places` });
  }

  // Settled later if at all: by references, by search, by references from what search placed.
  const open = new Set<number>();
  for (const section of allocated) {
    if (results.has(section.index)) continue;
    open.add(section.index);
    results.set(section.index, {
      kind: 'unplaced',
      reason: (symbolsBySection.get(section.index)?.length ?? 0) > 0 ? 'none of its symbols is in the linked file, and no placed section refers to it' : 'it has no symbols, and no placed section refers to it',
    });
  }
  const placements: Placements = {
    placed,
    open,
    sections: allocated.map((s) => ({ index: s.index, name: s.name, size: s.size, hasBytes: hasBytes(s), placement: results.get(s.index)! })),
  };
  placeByReferences(frozen, linked, placements);
  return placements;
}

/**
 * The open sections (no symbol placed them) that the relocated fields of placed sections
 * point into, placed where those fields agree; run again after a search placed more.
 */
export function placeByReferences(frozen: ElfFile, linked: ElfFile, placements: Placements): void {
  const executable = !linked.isRelocatable;
  for (const entry of placements.sections) {
    if (!placements.open.has(entry.index)) continue;
    const section = frozen.sectionAt(entry.index);
    const votes = executable ? referenceVotesExecutable(frozen, linked, placements.placed, section) : referenceVotesModule(frozen, linked, placements.placed, section);
    if (votes.length === 0) continue;
    const keys = new Set(votes.map((v) => `${v.shndx}:${v.base}`));
    if (keys.size === 1 && fits(linked, votes[0]!.shndx, votes[0]!.base, section, executable)) {
      const linkedSection = linked.sectionAt(votes[0]!.shndx);
      placements.placed.set(section.index, { frozen: section, linked: linkedSection, address: votes[0]!.base });
      placements.open.delete(entry.index);
      entry.placement = { kind: 'placed', linkedSection: linkedSection.name, address: votes[0]!.base, how: 'references', agreeing: votes.length, of: votes.length };
    } else {
      entry.placement = { kind: 'unplaced', reason: `the ${votes.length} references to it from placed sections point at ${keys.size} different places (merged or split by the linker)` };
    }
  }
}

const SHF_MERGE = 0x10;
const SHF_STRINGS = 0x20;

/** What ld merges across objects in a final link: SHF_MERGE sections and GNU property notes. */
export function mergedKind(s: ElfSection): 'strings' | 'constants' | 'notes' | undefined {
  if (s.type === SHT_NOTE) return 'notes';
  if ((s.flags & SHF_MERGE) === 0) return undefined;
  return (s.flags & SHF_STRINGS) !== 0 ? 'strings' : 'constants';
}

/**
 * The map's line for this input section of the frozen object, if it has one: placed there
 * when exactly one line names it with the section's size and the linked file has that output
 * section; unplaced when the lines disagree with the files.
 */
function mapPlacement(map: readonly LinkMapEntry[], frozen: ElfFile, linked: ElfFile, section: ElfSection, executable: boolean): { placement: SectionPlacement; placed?: Placed } | undefined {
  const lines = map.filter((e) => e.section === section.name && namesObject(e.input, frozen.name));
  if (lines.length === 0) return undefined;
  if (new Set(lines.map((e) => e.input)).size > 1) return { placement: { kind: 'unplaced', reason: `the map has it from ${lines.length} inputs named like the object (${lines.map((e) => e.input).join(', ')})` } };
  const line = lines[0]!;
  if (lines.length > 1 || line.size !== section.size) return { placement: { kind: 'unplaced', reason: `the map's line for it (${line.size} bytes in ${line.output}) is not its ${section.size} bytes` } };
  const target = linked.sections.find((s) => s.name === line.output);
  if (!target || !fits(linked, target.index, line.address, section, executable)) return { placement: { kind: 'unplaced', reason: `the map puts it in ${line.output} at 0x${line.address.toString(16)}, which the linked file does not have` } };
  return {
    placement: { kind: 'placed', linkedSection: target.name, address: line.address, how: 'map', agreeing: 1, of: 1 },
    placed: { frozen: section, linked: target, address: line.address },
  };
}

/** Whether [base, base + size) lies inside linked section `shndx` (an address range in an executable, offsets in a .ko). */
function fits(linked: ElfFile, shndx: number, base: bigint, section: ElfSection, executable: boolean): boolean {
  const target = linked.sections[shndx];
  if (!target || (target.flags & SHF_ALLOC) === 0) return false;
  const start = executable ? target.addr : 0n;
  return base >= start && base + BigInt(section.size) <= start + BigInt(target.size);
}

/**
 * A function giving, for a frozen symbol, the linked file's symbols that can be it: a global
 * by name; a local of the same name in one of the linked file's objects named like the
 * frozen one (all of them when the frozen object names no file). Locals are looked up in
 * one pass for all names.
 */
function linkedCandidates(frozen: ElfFile, linked: ElfFile, objects: LinkedObjects | undefined, symbols: readonly ElfSymbol[]): (sym: ElfSymbol) => ElfSymbol[] {
  const table = linked.symtab();
  if (!table) return () => [];
  const localNames = [...new Set(symbols.filter((s) => s.binding === 'local').map((s) => s.name))];
  const locals = table.localsNamed(localNames);
  const file = fileName(frozen);
  const sameFile = (index: number): boolean => {
    if (!file || !objects) return true;
    const o = objects.objectOfSymbol(index);
    return o !== undefined && objects.name(o) === file;
  };
  const defined = (indexes: readonly number[]) => indexes.map((i) => table.at(i)).filter((s) => s.shndx !== SHN_UNDEF && s.shndx < SHN_LORESERVE);
  return (sym) => {
    if (sym.binding === 'local') return defined((locals.get(sym.name) ?? []).filter(sameFile));
    const globals = defined(table.lookup(sym.name));
    if (globals.length > 0) return globals;
    const localized = linked.localizedDefinition(sym.name);
    return localized && localized.shndx < SHN_LORESERVE ? [localized] : [];
  };
}

interface Vote {
  readonly shndx: number;
  readonly base: bigint;
}

interface Reference {
  readonly from: Placed;
  readonly offset: bigint;
  readonly type: number;
  readonly symbolIndex: number;
  readonly addend: bigint | undefined;
  readonly symbolOffset: bigint;
}

/** The relocations of the placed sections whose symbol lies in `target` (its section symbol or another), with the symbol's offset in it. */
function referencesInto(frozen: ElfFile, placed: Map<number, Placed>, target: ElfSection): Reference[] {
  const symbols = frozen.symbols();
  const out: Reference[] = [];
  for (const from of placed.values()) {
    for (const table of frozen.relocationsFor(from.frozen)) {
      for (let i = 0; i < table.count; i++) {
        const sym = symbols[table.symbolIndexAt(i)];
        // Through a global or weak symbol the link resolves by name (to another object's
        // definition, when a weak one lost): only locals and section symbols say where this section went.
        if (!sym || sym.shndx !== target.index || sym.binding !== 'local') continue;
        out.push({ from, offset: table.offsetAt(i), type: table.typeAt(i), symbolIndex: table.symbolIndexAt(i), addend: table.addendAt(i), symbolOffset: sym.type === 'section' ? 0n : sym.value });
      }
    }
  }
  return out;
}

/**
 * In a linked executable: each reference's field, read back (as the kernel holds it once its
 * boot relocations are applied), says where its target section starts. An AArch64 address
 * split over an ADRP and an ADD or load/store of the same symbol and addend votes once, from
 * both halves together.
 */
function referenceVotesExecutable(frozen: ElfFile, linked: ElfFile, placed: Map<number, Placed>, target: ElfSection): Vote[] {
  const votes: Vote[] = [];
  const le = frozen.header.littleEndian;
  const fieldAt = (r: Reference, width: number): { p: bigint; field: Buffer } => {
    const p = r.from.address + r.offset;
    return { p, field: linkedBytesAt(linked, r.from.linked, p, width, `relocated field at ${p.toString(16)}`) };
  };
  const vote = (s: bigint, r: Reference) => {
    const base = s - r.symbolOffset;
    const shndx = linked.sections.findIndex((sec) => (sec.flags & SHF_ALLOC) !== 0 && sec.size > 0 && base >= sec.addr && base < sec.addr + BigInt(sec.size));
    if (shndx > 0) votes.push({ shndx, base });
  };
  const references = referencesInto(frozen, placed, target);
  const lowHalves = new Map<string, Reference>();
  for (const r of references) {
    if (fieldRule(frozen.header.machine, r.type)?.part?.half === 'low12') lowHalves.set(`${r.from.frozen.index}:${r.symbolIndex}:${r.addend}`, r);
  }
  for (const r of references) {
    const rule = fieldRule(frozen.header.machine, r.type);
    // A field past its section's end (a hostile object) says nothing.
    if (!rule || r.offset + BigInt(rule.width) > BigInt(r.from.frozen.size)) continue;
    const original = frozen.sectionData(r.from.frozen).subarray(Number(r.offset), Number(r.offset) + rule.width);
    const a = r.addend ?? rule.implicitAddend(original, le);
    if (rule.invert) {
      const { p, field } = fieldAt(r, rule.width);
      vote(rule.invert(field, a, p, le), r);
    } else if (rule.part?.half === 'page' && r.addend !== undefined) {
      const low = lowHalves.get(`${r.from.frozen.index}:${r.symbolIndex}:${r.addend}`);
      const lowRule = low && fieldRule(frozen.header.machine, low.type);
      if (!low || !lowRule?.part || low.offset + 4n > BigInt(low.from.frozen.size)) continue;
      const page = fieldAt(r, 4);
      const offset = fieldAt(low, 4);
      vote(rule.part.read(page.field, page.p) + lowRule.part.read(offset.field, offset.p) - a, r);
    }
  }
  return votes;
}

/**
 * In a .ko (ld -r): the relocations stay relocations. ld rewrote each reference to a local
 * section as a reference to the output section's symbol, with the input section's offset
 * folded into the addend: the linked entry at the same place says where the target went.
 */
function referenceVotesModule(frozen: ElfFile, linked: ElfFile, placed: Map<number, Placed>, target: ElfSection): Vote[] {
  const votes: Vote[] = [];
  const entries = linkedRelocationIndex(linked);
  const linkedSymbols = linked.symbols();
  for (const r of referencesInto(frozen, placed, target)) {
    if (r.addend === undefined) continue;
    const entry = entries.get(r.from.linked.index)?.get(r.from.address + r.offset);
    if (!entry || entry.type !== r.type) continue;
    const sym = linkedSymbols[entry.symbolIndex];
    if (!sym || sym.shndx === SHN_UNDEF || sym.shndx >= SHN_LORESERVE) continue;
    votes.push({ shndx: sym.shndx, base: (sym.type === 'section' ? 0n : sym.value) + entry.addend - r.addend - r.symbolOffset });
  }
  return votes;
}

export interface LinkedRelocation {
  readonly type: number;
  readonly symbolIndex: number;
  readonly addend: bigint;
}

const relocationIndexes = new WeakMap<ElfFile, Map<number, Map<bigint, LinkedRelocation>>>();

/** A .ko's RELA entries by target section and offset. */
export function linkedRelocationIndex(linked: ElfFile): Map<number, Map<bigint, LinkedRelocation>> {
  let index = relocationIndexes.get(linked);
  if (index) return index;
  index = new Map();
  for (const s of linked.relocationSections()) {
    if (s.type !== SHT_RELA) continue;
    const table = linked.relocations(s);
    let bySection = index.get(table.targetSection);
    if (!bySection) index.set(table.targetSection, (bySection = new Map()));
    for (let i = 0; i < table.count; i++) bySection.set(table.offsetAt(i), { type: table.typeAt(i), symbolIndex: table.symbolIndexAt(i), addend: table.addendAt(i)! });
  }
  relocationIndexes.set(linked, index);
  return index;
}
