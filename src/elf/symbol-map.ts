import { SHN_LORESERVE, SHN_UNDEF } from './constants.js';
import type { ElfFile } from './file.js';
import type { ElfSymbol, SymbolType } from './symbols.js';

/**
 * "Which symbol holds this offset?" — the one answer every reader uses, for a relocatable
 * object (offsets within a section) and a linked file (addresses; the section index still
 * narrows the search).
 *
 * The rule: among the named, defined symbols of the asked types in that section, the
 * innermost one whose range holds the offset — the latest-starting symbol at or before it
 * whose [value, value + size) contains it, else the latest-starting one before that which
 * encloses it (a function nested in another). A symbol of size 0 (an assembler label
 * without SYM_FUNC_END) holds the addresses from its start up to the next symbol's start,
 * as objdump names them; it never encloses past that. Symbols at the same address: the
 * smaller one is inner; between equals, the later one in the symbol table.
 */
export class SymbolMap {
  private readonly bySection = new Map<number, ElfSymbol[]>();

  constructor(symbols: readonly ElfSymbol[], types: readonly SymbolType[] = ['func']) {
    for (const s of symbols) {
      if (!types.includes(s.type) || s.shndx === SHN_UNDEF || s.shndx >= SHN_LORESERVE || s.name === '') continue;
      let list = this.bySection.get(s.shndx);
      if (!list) this.bySection.set(s.shndx, (list = []));
      list.push(s);
    }
    // Stable: equal symbols keep their symbol-table order.
    for (const list of this.bySection.values()) list.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : b.size - a.size));
  }

  /** The function symbols of an object. */
  static functions(elf: ElfFile): SymbolMap {
    return new SymbolMap(elf.symbols());
  }

  /** The sections that have symbols of the asked types, with their symbols by address. */
  sections(): IterableIterator<[number, readonly ElfSymbol[]]> {
    return this.bySection.entries();
  }

  /** The symbol holding `offset` in section `shndx`, by the rule above. */
  containing(shndx: number, offset: number | bigint): ElfSymbol | undefined {
    const list = this.bySection.get(shndx);
    if (!list) return undefined;
    const at = BigInt(offset);
    const last = this.lastStartingAtOrBefore(list, at);
    if (last < 0) return undefined;
    const latest = list[last]!;
    if (latest.size === 0 || at < latest.value + BigInt(latest.size)) return latest;
    for (let i = last - 1; i >= 0; i--) {
      const s = list[i]!;
      if (s.size > 0 && at < s.value + BigInt(s.size)) return s;
    }
    return undefined;
  }

  /** The first symbol (in address, then symbol-table order) that starts exactly at `offset`. */
  startingAt(shndx: number, offset: number | bigint): ElfSymbol | undefined {
    const list = this.bySection.get(shndx);
    if (!list) return undefined;
    const at = BigInt(offset);
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.value < at) lo = mid + 1;
      else hi = mid;
    }
    const s = list[lo];
    return s && s.value === at ? s : undefined;
  }

  private lastStartingAtOrBefore(list: readonly ElfSymbol[], at: bigint): number {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.value <= at) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }
}
