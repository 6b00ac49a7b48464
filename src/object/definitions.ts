import { SHN_COMMON, SHN_UNDEF } from '../elf/constants.js';
import { isUndefinedReference, type ElfFile, type ElfSymbol } from '../elf/index.js';
import type { FrozenDefinition } from '../facts/frozen-object.js';
import { kindOfSymbolType } from '../facts/symbols.js';

/** What a relocatable object defines (its global and weak symbols) and what it leaves undefined for the link to resolve. */
export function readDefinitions(elf: ElfFile): { definitions: Map<string, FrozenDefinition>; undefinedSymbols: ElfSymbol[] } {
  const sectionName = (shndx: number) => elf.sections[shndx]?.name ?? `[${shndx}]`;
  const definitions = new Map<string, FrozenDefinition>();
  const undefinedSymbols: ElfSymbol[] = [];
  for (const sym of elf.symbols()) {
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
  return { definitions, undefinedSymbols };
}
