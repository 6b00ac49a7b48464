import type { ElfFile, ElfSymbol } from './index.js';

/** Sorted function (or data) symbols of each section, to name what contains an offset. */
export class FunctionLocator {
  private readonly bySection = new Map<number, ElfSymbol[]>();

  constructor(symbols: readonly ElfSymbol[], types: readonly string[] = ['func']) {
    for (const s of symbols) {
      if (!types.includes(s.type) || s.shndx === 0) continue;
      let list = this.bySection.get(s.shndx);
      if (!list) this.bySection.set(s.shndx, (list = []));
      list.push(s);
    }
    for (const list of this.bySection.values()) list.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  }

  static of(elf: ElfFile): FunctionLocator {
    return new FunctionLocator(elf.symbols());
  }

  /** The function whose [value, value+size) holds `offset` in section `shndx` (linked files: any section, by address). */
  functionAt(shndx: number, offset: bigint): ElfSymbol | undefined {
    const list = this.bySection.get(shndx);
    if (!list) return undefined;
    let lo = 0;
    let hi = list.length - 1;
    let best: ElfSymbol | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = list[mid]!;
      if (s.value <= offset) {
        best = s;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (best && (best.size === 0 || offset < best.value + BigInt(best.size))) return best;
    return undefined;
  }
}
