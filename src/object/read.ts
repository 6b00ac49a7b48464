import { InputError } from '../errors.js';
import { DwarfFile } from '../dwarf/index.js';
import { ObjectDwarfInterface } from '../dwarf/dwarf-interfaces.js';
import { ElfFile } from '../elf/index.js';
import { sha256Of } from '../elf/source.js';
import { ET_REL } from '../elf/constants.js';
import type { ObjectConventions } from '../facts/object-conventions.js';
import type { FrozenImport, FrozenObject } from '../facts/frozen-object.js';
import type { SymbolKind } from '../facts/symbols.js';
import { readObjectConventions } from './object-conventions.js';
import { readCompileUnits } from './compile-units.js';
import { readExports } from './exports.js';
import { readModuleInfo } from './module-info.js';
import { readReferences, type References } from './references.js';
import { readDefinitions } from './definitions.js';

/**
 * A frozen relocatable object (.o, .ko) as the model sees it, read fact by fact: its
 * definitions and undefined symbols (symbols.ts), where it references each (references.ts),
 * its compile units and the externals its DWARF declares (compile-units.ts), its exports
 * (exports.ts), its module metadata (module-info.ts) and — on first use — the conventions it
 * was built with (object-conventions.ts).
 */
export function readFrozenObject(path: string): FrozenObject {
  const elf = ElfFile.open(path);
  try {
    return readOpenedObject(path, elf);
  } finally {
    // What is read later (the conventions, types of the interface) reopens the file for the read.
    elf.releaseDescriptor();
  }
}

function readOpenedObject(path: string, elf: ElfFile): FrozenObject {
  if (elf.header.type !== ET_REL) {
    const what = elf.header.type === 2 ? 'a linked executable (ET_EXEC)' : elf.header.type === 3 ? 'a shared object (ET_DYN)' : `ELF type ${elf.header.type}`;
    throw new InputError(path, `not a relocatable object (.o/.ko): it is ${what}`);
  }
  if (!elf.symbolTable) throw new InputError(path, 'has no symbol table (stripped?): cannot tell what it imports');

  const sha256 = sha256Of(elf.source);
  const { definitions, undefinedSymbols } = readDefinitions(elf);
  const references = readReferences(elf, undefinedSymbols);
  const dwarf = DwarfFile.present(elf) ? new DwarfFile(elf) : undefined;
  const units = readCompileUnits(dwarf);
  const imports = new Map<string, FrozenImport>();
  for (const sym of undefinedSymbols) {
    const { kind, kindSource } = importKind(sym.name, units.declared, references);
    imports.set(sym.name, { name: sym.name, kind, kindSource, weak: sym.binding === 'weak', sites: references.sites.get(sym.name) ?? [] });
  }

  const moduleInfo = readModuleInfo(elf);
  const compiledAgainst = dwarf ? new ObjectDwarfInterface(dwarf, `frozen ${path} (DWARF)`) : undefined;
  let conventions: ObjectConventions | undefined;
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
    exports: readExports(elf),
    compileUnits: units.names,
    compiledAgainst,
    producer: units.producer,
    // Read the first time a build-primitive detector (or extract) asks.
    get conventions(): ObjectConventions {
      conventions ??= readObjectConventions(elf, dwarf, compiledAgainst);
      return conventions;
    },
  };
}

/** Whether an import is a function or data: its DWARF declaration says, else calls-only relocations say function. */
function importKind(name: string, declared: ReadonlyMap<string, SymbolKind>, references: References): Pick<FrozenImport, 'kind' | 'kindSource'> {
  const fromDwarf = declared.get(name);
  if (fromDwarf) return { kind: fromDwarf, kindSource: 'dwarf' };
  if (references.usedAsCall.has(name) && !references.usedOtherwise.has(name)) return { kind: 'function', kindSource: 'relocation' };
  return { kind: 'unknown', kindSource: 'none' };
}
