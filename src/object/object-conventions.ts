import { SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, SHN_UNDEF, SHT_NOBITS, SHT_REL, SHT_RELA } from '../elf/constants.js';
import { relocationTypeName, type ElfFile, type ElfSection, type ElfSymbol } from '../elf/index.js';
import { decodeAlternatives, decodeExtable, readOrcHeader } from '../arch/x86/index.js';
import { ARM64_ALT_ENTRY_SIZE, decodeArm64Alternatives } from '../arch/arm64/alternatives.js';
import { InputError, hex } from '../errors.js';
import type { DwarfFile } from '../dwarf/index.js';
import { topLevelEntries } from '../dwarf/top-level.js';
import type { FrozenInterface } from '../graph/interfaces.js';
import type { TypeRef } from '../graph/type-graph.js';
import { architectureOf } from '../facts/architecture.js';
import type { AlternativeFeatureUse, BtfIdFact, BtfSetFact, ObjectConventions, CompilerFacts, ExtableFacts, FunctionFacts, IndirectTarget, SectionFacts } from '../facts/object-conventions.js';
import { SymbolMap } from '../elf/symbol-map.js';
import { entryPad, kcfiTypeHash, paddingBefore } from '../arch/instructions.js';
import { countFixedCanaryReads, isBranchField } from '../arch/x86/instructions.js';
import { relocationKind } from '../elf/relocation-types.js';
import { memberAt } from '../graph/members.js';
import { LIMITS, overLimit } from '../limits.js';
import { ownTypesOfSplit } from '../btf/split.js';

/**
 * Sections whose relocations point at code for a patching or bookkeeping table, not as a
 * function pointer anything calls: an address there does not make a function an indirect
 * branch target.
 */
const BOOKKEEPING = [
  /^__mcount_loc$/,
  /^__patchable_function_entries$/,
  /^\.orc_unwind(_ip)?$/,
  /^\.(return|retpoline|call)_sites$/,
  /^\.ibt_endbr_seal$/,
  /^__ex_table$/,
  /^\.altinstructions$/,
  /^\.altinstr_replacement$/,
  /^__jump_table$/,
  /^__bug_table$/,
  /^\.static_call_sites$/,
  /^\.parainstructions$/,
  /^\.kcfi_traps$/,
  /^\.discard/,
  /^\.debug/,
  /^\.eh_frame$/,
  /^_{2,3}ksymtab/,
  /^__kcrctab/,
  /^\.export_symbol$/,
  /^\.BTF/,
  /^__tracepoints_ptrs$/,
  /^\.smp_locks$/,
];

const FTRACE_HOOKS = new Set(['__fentry__', 'mcount', '_mcount', '__gnu_mcount_nc']);

function flagString(s: ElfSection): string {
  return `${s.flags & SHF_WRITE ? 'W' : ''}${s.flags & SHF_ALLOC ? 'A' : ''}${s.flags & SHF_EXECINSTR ? 'X' : ''}`;
}

function relocationCounts(elf: ElfFile): Map<number, number> {
  const counts = new Map<number, number>();
  for (const rs of elf.relocationSections()) {
    const entsize = rs.entsize || (rs.type === SHT_RELA ? (elf.header.is64 ? 24 : 12) : elf.header.is64 ? 16 : 8);
    counts.set(rs.info, (counts.get(rs.info) ?? 0) + Math.floor(rs.size / entsize));
  }
  return counts;
}

function readCompiler(elf: ElfFile, dwarf: DwarfFile | undefined): CompilerFacts {
  const byProducer = new Map<string, string[]>();
  if (dwarf) {
    for (const cu of dwarf.compileUnits()) {
      if (!cu.producer) continue;
      const units = byProducer.get(cu.producer) ?? [];
      if (cu.name) units.push(cu.name);
      byProducer.set(cu.producer, units);
    }
  }
  const comment: string[] = [];
  const section = elf.section('.comment');
  if (section && section.type !== SHT_NOBITS) {
    for (const s of elf.sectionData(section).toString('latin1').split('\0')) if (s && !comment.includes(s)) comment.push(s);
  }
  return { producers: [...byProducer].map(([producer, units]) => ({ producer, units })), comment };
}

interface CodeReader {
  bytes(section: number): Buffer | undefined;
}

function readBtfIds(elf: ElfFile, symbols: readonly ElfSymbol[]): { ids: BtfIdFact[]; sets: BtfSetFact[] } {
  const section = elf.section('.BTF_ids');
  const ids: BtfIdFact[] = [];
  const sets: BtfSetFact[] = [];
  if (!section) return { ids, sets };
  const data = section.type === SHT_NOBITS ? Buffer.alloc(section.size) : elf.sectionData(section);
  const le = elf.header.littleEndian;
  const u32 = (off: number, sym: string): number => {
    if (off < 0 || off + 4 > data.length) throw new InputError(elf.name, `.BTF_ids: ${sym} at ${hex(off)} lies outside the section (${hex(data.length)} bytes)`);
    return le ? data.readUInt32LE(off) : data.readUInt32BE(off);
  };
  for (const s of symbols) {
    if (!s.name.startsWith('__BTF_ID__') || s.shndx !== section.index) continue;
    const rest = s.name.slice('__BTF_ID__'.length);
    const off = Number(s.value);
    const set = /^(set8?)__(.+)$/.exec(rest);
    if (set) {
      const kind = set[1] as 'set' | 'set8';
      sets.push({ kind, name: set[2]!, count: u32(off, s.name), flags: kind === 'set8' ? u32(off + 4, s.name) : undefined });
      continue;
    }
    const m = /^(struct|union|typedef|func)__(.+)__\d+$/.exec(rest);
    if (!m) continue;
    ids.push({ kind: m[1]!, name: m[2]!, symbol: s.name, id: u32(off, s.name) });
  }
  ids.sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  sets.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { ids, sets };
}

/** Imports whose DWARF declaration carries DW_AT_noreturn. */
function readNoreturnCalls(dwarf: DwarfFile | undefined, imports: ReadonlySet<string>): string[] {
  if (!dwarf) return [];
  const out = new Set<string>();
  for (const cu of dwarf.compileUnits()) {
    for (const entry of topLevelEntries(dwarf.unit(cu.header))) {
      if (entry.kind !== 'function' || !entry.noreturn) continue;
      const name = entry.symbolName;
      if (name && imports.has(name)) out.add(name);
    }
  }
  return [...out].sort();
}

/** Reads what a relocatable object shows of the conventions it was built with. `frozen` (its own DWARF view) names the members that hold function pointers. */
export function readObjectConventions(elf: ElfFile, dwarf: DwarfFile | undefined, own: FrozenInterface | undefined): ObjectConventions {
  const arch = architectureOf(elf.header.machine);
  const le = elf.header.littleEndian;
  const symbols = elf.symbols();
  const relocCounts = relocationCounts(elf);
  const sections: SectionFacts[] = elf.sections
    .filter((s) => s.index !== 0 && s.type !== SHT_RELA && s.type !== SHT_REL && !s.name.startsWith('.debug') && s.name !== '')
    .map((s) => ({ name: s.name, size: s.size, flags: flagString(s), relocations: relocCounts.get(s.index) ?? 0 }));

  const codeCache = new Map<number, Buffer>();
  const code: CodeReader = {
    bytes(index) {
      const s = elf.sections[index];
      if (!s || !(s.flags & SHF_EXECINSTR) || s.type === SHT_NOBITS) return undefined;
      let b = codeCache.get(index);
      if (!b) codeCache.set(index, (b = elf.sectionData(s)));
      return b;
    },
  };

  // Symbols by section, to name where a relocation points.
  const functionsMap = new SymbolMap(symbols, ['func']);
  const objectsMap = new SymbolMap(symbols, ['object']);
  const names = new Set<string>();
  for (const s of symbols) if (s.name) names.add(s.name);
  const ownedByName = new Map<string, TypeRef>();
  if (own) {
    for (const v of own.ownedStorage()) {
      if (v.scope === undefined || !ownedByName.has(v.name)) ownedByName.set(v.name, v.type);
    }
  }
  const cfiSymbols = new Map<string, ElfSymbol>();
  for (const s of symbols) if (s.name.startsWith('__cfi_') && s.shndx !== SHN_UNDEF) cfiSymbols.set(s.name, s);

  // One pass over the relocations: import relocation types, relocated code offsets (for the
  // canary scan), ftrace calls at function entries, and addresses of functions kept as data.
  const importRelocations: Record<string, Record<string, number>> = {};
  const relocatedCode = new Map<number, Set<number>>();
  const ftraceAt = new Map<string, string>();
  const targets = new Map<string, IndirectTarget>();
  const noEndbr = new Set<string>();
  for (const rs of elf.relocationSections()) {
    const target = elf.sections[rs.info];
    if (!target || target.name.startsWith('.debug')) continue;
    if (!(target.flags & SHF_ALLOC) && target.name !== '.discard.noendbr') continue;
    const table = elf.relocations(rs);
    const isCode = (target.flags & SHF_EXECINSTR) !== 0;
    const bookkeeping = BOOKKEEPING.some((re) => re.test(target.name));
    let offsets = relocatedCode.get(target.index);
    if (isCode && !offsets) relocatedCode.set(target.index, (offsets = new Set()));
    for (let i = 0; i < table.count; i++) {
      const r = table.at(i);
      const sym = symbols[r.symbolIndex];
      if (!sym) throw new InputError(elf.name, `${rs.name}: relocation ${i} names symbol ${r.symbolIndex}, past the end of the symbol table`);
      const type = relocationTypeName(elf.header.machine, r.type);
      const offset = Number(r.offset);
      offsets?.add(offset);
      if (sym.shndx === SHN_UNDEF && sym.name) {
        const counts = (importRelocations[sym.name] ??= {});
        counts[type] = (counts[type] ?? 0) + 1;
        if (isCode && FTRACE_HOOKS.has(sym.name)) {
          const f = functionsMap.containing(target.index, offset);
          if (f && offset - Number(f.value) < 32) ftraceAt.set(f.name, sym.name);
        }
        continue;
      }
      if (target.name === '.discard.noendbr') {
        const fn = sym.type === 'func' ? sym : sym.type === 'section' ? functionsMap.startingAt(sym.shndx, r.addend ?? 0n) : undefined;
        if (fn) noEndbr.add(fn.name);
        continue;
      }
      const kind = relocationKind(type);
      if (bookkeeping || kind === 'branch') continue;
      // In code, a PC-relative field after a call, jmp or jcc opcode is a branch (to a .cold
      // part, a static function), not an address kept for later.
      if (isCode && kind === 'pc-relative-32' && isBranchField(code.bytes(target.index), offset)) continue;
      // Where the relocated value points: a function symbol, or section + addend.
      let fn: ElfSymbol | undefined;
      const addend = Number(r.addend ?? 0n) + (kind === 'pc-relative-32' ? 4 : 0);
      if (sym.type === 'func') fn = addend === 0 ? sym : undefined;
      else if (sym.type === 'section') fn = functionsMap.startingAt(sym.shndx, addend);
      if (!fn) continue;
      const holder = (isCode ? functionsMap : objectsMap).containing(target.index, offset);
      const holderType = holder && !isCode ? ownedByName.get(holder.name) : undefined;
      const member = holderType !== undefined && own ? memberAt(own.graph, holderType, (offset - Number(holder!.value)) * 8, LIMITS.TYPE_NESTING.value, (at) => {
        throw new InputError(own.graph.source.file, overLimit(LIMITS.TYPE_NESTING, `member path nested too deep at ${own.graph.locate(at)}`));
      }) : undefined;
      const seen = targets.get(fn.name);
      // Keep one site per function, the most telling: a named member of a data object first.
      if (seen && (seen.from.member !== undefined || member === undefined)) continue;
      targets.set(fn.name, { function: fn.name, from: { section: target.name, offset, symbol: holder?.name, member, relocation: type } });
    }
  }

  const functions: FunctionFacts[] = [];
  for (const [shndx, list] of functionsMap.sections()) {
    const bytes = code.bytes(shndx);
    if (!bytes) continue;
    const section = elf.sections[shndx]!.name;
    for (const f of list) {
      if (f.binding === 'other' || f.name.startsWith('__pfx_') || f.name.startsWith('__cfi_')) continue;
      const offset = Number(f.value);
      const found = cfiSymbols.get(`__cfi_${f.name}`);
      const cfi = found && found.shndx === shndx ? found : undefined;
      const cfiHash = cfi ? kcfiTypeHash(arch, bytes, offset, Number(cfi.value), le) : undefined;
      functions.push({
        name: f.name,
        binding: f.binding as FunctionFacts['binding'],
        section,
        offset,
        size: f.size,
        entry: entryPad(arch, bytes, offset, le),
        paddingBefore: paddingBefore(arch, bytes, offset, le),
        prefixSymbol: names.has(`__pfx_${f.name}`),
        cfiHash,
        ftraceCall: ftraceAt.get(f.name),
      });
    }
  }
  functions.sort((a, b) => (a.section < b.section ? -1 : a.section > b.section ? 1 : a.offset - b.offset || (a.name < b.name ? -1 : 1)));

  let fixedCanaryReads = 0;
  if (arch === 'x86_64') {
    for (const [index, offsets] of relocatedCode) {
      const bytes = code.bytes(index);
      if (bytes) fixedCanaryReads += countFixedCanaryReads(bytes, offsets);
    }
  }

  const props = elf.gnuProperties();
  const x86 = arch === 'x86_64' || arch === 'i386';
  const btfSection = elf.section('.BTF');
  const btfBase = elf.section('.BTF.base');
  const { ids: btfIds, sets: btfSets } = readBtfIds(elf, symbols);
  const imports = new Set(Object.keys(importRelocations));

  return {
    architecture: arch,
    compiler: readCompiler(elf, dwarf),
    sections,
    properties: props ? { ibt: props.x86Ibt, shstk: props.x86Shstk, bti: props.aarch64Bti, pac: props.aarch64Pac } : undefined,
    functions,
    indirectTargets: [...targets.values()].sort((a, b) => (a.function < b.function ? -1 : 1)),
    importRelocations: sortKeys(importRelocations),
    fixedCanaryReads,
    alternatives: x86 ? alternativeFacts(elf) : arch === 'aarch64' ? arm64AlternativeFacts(elf) : undefined,
    extable: x86 ? extableFacts(elf) : undefined,
    orcHeader: x86 ? readOrcHeader(elf)?.hash : undefined,
    btf: btfSection && btfSection.type !== SHT_NOBITS ? readBtf(elf, btfSection, btfBase) : undefined,
    btfIds,
    btfSets,
    noreturnCalls: readNoreturnCalls(dwarf, imports),
    noEndbr: [...noEndbr].sort(),
  };
}

function readBtf(elf: ElfFile, split: ElfSection, base: ElfSection | undefined): NonNullable<ObjectConventions['btf']> {
  const data = elf.sectionData(split).toString('base64');
  return { split: data, distilledBase: base && base.type !== SHT_NOBITS ? elf.sectionData(base).toString('base64') : undefined, ownTypes: ownTypesOfSplit(data, elf.name) };
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function where(site: { section: string; offset: number; function: string | undefined; functionOffset: number | undefined }): string {
  return site.function ? `${site.function}+${hex(site.functionOffset ?? 0)}` : `${site.section}+${hex(site.offset)}`;
}

function alternativeFacts(elf: ElfFile): ObjectConventions['alternatives'] {
  if (!elf.section('.altinstructions')) return undefined;
  const alt = decodeAlternatives(elf);
  return { entrySize: alt.entrySize, features: featureUses(alt.entries.map((e) => ({ feature: e.feature, flagNames: e.flagNames, site: e.site }))) };
}

/** arm64: the same facts, the feature numbers being cpucap numbers. */
function arm64AlternativeFacts(elf: ElfFile): ObjectConventions['alternatives'] {
  if (!elf.section('.altinstructions')) return undefined;
  const entries = decodeArm64Alternatives(elf);
  return { entrySize: entries.length ? ARM64_ALT_ENTRY_SIZE : undefined, features: featureUses(entries.map((e) => ({ feature: e.cap, flagNames: e.flagNames, site: e.site }))) };
}

function featureUses(entries: readonly { feature: number; flagNames: readonly string[]; site: Parameters<typeof where>[0] }[]): AlternativeFeatureUse[] {
  const byFeature = new Map<string, AlternativeFeatureUse>();
  for (const e of entries) {
    const key = `${e.feature}:${e.flagNames.join(',')}`;
    const seen = byFeature.get(key);
    byFeature.set(key, seen ? { ...seen, count: seen.count + 1 } : { feature: e.feature, flags: e.flagNames, count: 1, example: where(e.site) });
  }
  return [...byFeature.values()].sort((a, b) => a.feature - b.feature || a.flags.join().localeCompare(b.flags.join()));
}

function extableFacts(elf: ElfFile): ExtableFacts | undefined {
  if (!elf.section('__ex_table')) return undefined;
  const table = decodeExtable(elf);
  const types = new Map<number, { count: number; example: string }>();
  const handlers = new Map<string, number>();
  for (const e of table.entries) {
    if (e.type !== undefined) {
      const t = types.get(e.type);
      types.set(e.type, t ? { ...t, count: t.count + 1 } : { count: 1, example: where(e.insn) });
    }
    if (e.handler) handlers.set(e.handler, (handlers.get(e.handler) ?? 0) + 1);
  }
  return {
    layout: table.layout,
    entries: table.entries.length,
    types: [...types].sort((a, b) => a[0] - b[0]).map(([type, t]) => ({ type, ...t })),
    handlers: [...handlers].sort().map(([handler, count]) => ({ handler, count })),
  };
}
