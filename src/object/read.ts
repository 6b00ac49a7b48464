import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { InputError } from '../errors.js';
import { DwarfFile } from '../dwarf/index.js';
import { topLevelEntries } from '../dwarf/top-level.js';
import { ElfFile, isUndefinedReference, relocationTypeName, type ElfSymbol } from '../elf/index.js';
import { ET_REL, SHN_COMMON, SHN_UNDEF } from '../elf/constants.js';
import { readModuleInfo } from './module-info.js';
import type { FrozenDefinition, FrozenExport, FrozenImport, FrozenObject, ReferenceSite } from '../facts/frozen-object.js';
import type { FrozenInterface } from '../graph/interface.js';
import { ObjectDwarfInterface } from '../dwarf/interface.js';
import { kindOfSymbolType, type SymbolKind } from '../facts/symbols.js';
import { SymbolMap } from '../elf/symbol-map.js';
import { relocationKind } from '../elf/relocation-types.js';
import { readBuildFacts } from './build-facts.js';
import { type BuildFacts } from '../facts/build-facts.js';

const MAX_SITES = 8;


export function readFrozenObject(path: string): FrozenObject {
  const elf = ElfFile.open(path);
  if (elf.header.type !== ET_REL) {
    const what = elf.header.type === 2 ? 'a linked executable (ET_EXEC)' : elf.header.type === 3 ? 'a shared object (ET_DYN)' : `ELF type ${elf.header.type}`;
    throw new InputError(path, `not a relocatable object (.o/.ko): it is ${what}`);
  }
  if (!elf.symbolTable) throw new InputError(path, 'has no symbol table (stripped?): cannot tell what it imports');

  const bytes = elf.source.read(0, elf.source.size, 'whole file for its digest');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const symbols = elf.symbols();
  const sectionName = (shndx: number) => elf.sections[shndx]?.name ?? `[${shndx}]`;

  const definitions = new Map<string, FrozenDefinition>();
  const undefinedSymbols: ElfSymbol[] = [];
  for (const sym of symbols) {
    if (sym.binding !== 'global' && sym.binding !== 'weak') continue;
    if (sym.name === '') continue;
    if (sym.shndx === SHN_UNDEF) {
      if (isUndefinedReference(sym)) undefinedSymbols.push(sym);
      continue;
    }
    definitions.set(sym.name, {
      name: sym.name,
      kind: sym.shndx === SHN_COMMON ? 'data' : kindOfSymbolType(sym.type),
      binding: sym.binding,
      section: sym.shndx === SHN_COMMON ? 'COMMON' : sectionName(sym.shndx),
      size: sym.size,
    });
  }

  // Reference sites and the relocation types used per undefined symbol.
  const wanted = new Map(undefinedSymbols.map((s) => [s.index, s.name]));
  const sites = new Map<string, ReferenceSite[]>();
  const usedAsCall = new Set<string>();
  const usedOtherwise = new Set<string>();
  const functions = SymbolMap.functions(elf);
  for (const relSection of elf.relocationSections()) {
    const target = elf.sections[relSection.info];
    if (!target || target.name.startsWith('.debug') || target.name.startsWith('.zdebug')) continue;
    const table = elf.relocations(relSection);
    for (let i = 0; i < table.count; i++) {
      const name = wanted.get(table.symbolIndexAt(i));
      if (name === undefined) continue;
      const typeName = relocationTypeName(elf.header.machine, table.typeAt(i));
      // A symbol only ever called or jumped to is a function (PC32 in i386 calls is ambiguous, so only unambiguous branches count).
      (relocationKind(typeName) === 'branch' ? usedAsCall : usedOtherwise).add(name);
      let list = sites.get(name);
      if (!list) sites.set(name, (list = []));
      if (list.length < MAX_SITES) {
        const offset = table.offsetAt(i);
        list.push({ section: target.name, offset, function: functions.containing(target.index, offset)?.name, relocation: typeName });
      }
    }
  }

  const dwarf = DwarfFile.present(elf) ? new DwarfFile(elf) : undefined;
  const declared = new Map<string, SymbolKind>();
  const compileUnits: string[] = [];
  let producer: string | undefined;
  if (dwarf) {
    for (const cu of dwarf.compileUnits()) {
      if (cu.name) compileUnits.push(cu.name);
      producer ??= cu.producer;
      for (const entry of topLevelEntries(dwarf.unit(cu.header))) {
        if (!entry.declaration || !entry.external) continue;
        const name = entry.symbolName;
        if (name) declared.set(name, entry.kind === 'function' ? 'function' : 'data');
      }
    }
  }

  const imports = new Map<string, FrozenImport>();
  for (const sym of undefinedSymbols) {
    const fromDwarf = declared.get(sym.name);
    let kind: SymbolKind = 'unknown';
    let kindSource: FrozenImport['kindSource'] = 'none';
    if (fromDwarf) {
      kind = fromDwarf;
      kindSource = 'dwarf';
    } else if (usedAsCall.has(sym.name) && !usedOtherwise.has(sym.name)) {
      kind = 'function';
      kindSource = 'relocation';
    }
    imports.set(sym.name, { name: sym.name, kind, kindSource, weak: sym.binding === 'weak', sites: sites.get(sym.name) ?? [] });
  }

  const exports = new Map<string, FrozenExport>();
  for (const sym of symbols) {
    // Up to v6.4 each export is a __ksymtab_<sym> symbol in ___ksymtab+<sym> / ___ksymtab_gpl+<sym>
    // (a .ko merges them into __ksymtab / __ksymtab_gpl); from v6.5 modpost builds the table
    // from __export_symbol_<sym> markers in .export_symbol.
    if (sym.name.startsWith('__ksymtab_') && sym.shndx !== SHN_UNDEF) {
      const name = sym.name.slice('__ksymtab_'.length);
      const sec = sectionName(sym.shndx);
      if (sec.startsWith('___ksymtab') || sec.startsWith('__ksymtab')) {
        exports.set(name, { name, gplOnly: sec.includes('_gpl') });
      }
    } else if (sym.name.startsWith('__export_symbol_') && sym.shndx !== SHN_UNDEF) {
      const name = sym.name.slice('__export_symbol_'.length);
      exports.set(name, { name, gplOnly: exportMarkerIsGpl(elf, sym) });
    }
  }

  const moduleInfo = readModuleInfo(elf);
  const compiledAgainst = dwarf ? new ObjectDwarfInterface(dwarf, `frozen ${path} (DWARF)`) : undefined;
  let build: BuildFacts | undefined;
  return {
    path,
    origin: 'object',
    sha256,
    size: elf.source.size,
    machine: elf.header.machine,
    is64: elf.header.is64,
    littleEndian: elf.header.littleEndian,
    sections: elf.sections.map((s) => ({ name: s.name, type: s.type, flags: s.flags, size: s.size, entsize: s.entsize, addralign: s.addralign })),
    isModule: moduleInfo?.loadable === true,
    moduleInfo,
    definitions,
    imports,
    exports,
    compileUnits,
    compiledAgainst,
    producer,
    // Read the first time a build-primitive detector (or extract) asks.
    get build(): BuildFacts {
      build ??= readBuildFacts(elf, dwarf, compiledAgainst);
      return build;
    },
  };
}

/** v6.5+ export markers hold the license string ("GPL" or "") the export was declared with. */
function exportMarkerIsGpl(elf: ElfFile, sym: ElfSymbol): boolean {
  const section = elf.sections[sym.shndx];
  if (!section) return false;
  const data = elf.sectionData(section);
  const start = Number(sym.value);
  const end = data.indexOf(0, start);
  return start < data.length && data.toString('latin1', start, end < 0 ? data.length : end).startsWith('GPL');
}

export function displayName(obj: FrozenObject): string {
  return basename(obj.path);
}
