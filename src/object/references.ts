import { relocationKind, relocationTypeName, type ElfFile, type ElfSymbol } from '../elf/index.js';
import { SymbolMap } from '../elf/symbol-map.js';
import type { ReferenceSite } from '../facts/frozen-object.js';

/** Sites kept per undefined symbol: enough for evidence, bounded for objects with thousands of uses. */
const MAX_SITES = 8;

export interface References {
  /** Where each undefined symbol is referenced from (the first MAX_SITES relocations). */
  readonly sites: ReadonlyMap<string, readonly ReferenceSite[]>;
  /** Symbols some relocation only calls or jumps to. */
  readonly usedAsCall: ReadonlySet<string>;
  /** Symbols some relocation uses otherwise (an address, data). */
  readonly usedOtherwise: ReadonlySet<string>;
}

/** The relocations of an object's code and data (not its DWARF) that name its undefined symbols. */
export function readReferences(elf: ElfFile, undefinedSymbols: readonly ElfSymbol[]): References {
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
  return { sites, usedAsCall, usedOtherwise };
}
