import { SHF_EXECINSTR, SHN_LORESERVE, SHN_UNDEF, SHN_XINDEX, STT_FILE, STT_FUNC, STT_SECTION } from './constants.js';
import type { ElfFile } from './file.js';
import type { SymbolTable } from './symbols.js';

/**
 * The input objects of a linked file, as far as its local symbols tell. ld writes the local
 * symbols of each input object after an STT_FILE symbol naming it ("fips.c", "head_64.o"),
 * objects in link order; an object without local symbols leaves no trace. Object `i` is the
 * i-th STT_FILE group of .symtab.
 *
 * What this answers: which object a local symbol came from, the objects whose local symbols
 * lie nearest to an address (the object placing a global there is usually one of them, or
 * between them in link order), and an address of each object's code (a local function), through
 * which .debug_aranges names the object's compile unit. Only the entries' type, section and
 * value are read, never their names, except the STT_FILE names asked for.
 */
const EMPTY_INDEX = { offsets: new Float64Array(0), objects: new Int32Array(0) };

export class LinkedObjects {
  /** Symbol index of each object's STT_FILE entry, ascending. */
  private readonly starts: number[] = [];
  /** The address of each object's first local function. */
  private readonly functions: (bigint | undefined)[] = [];
  /** Per local entry (at index - 1): its object; -1 for files, sections and locals before the first STT_FILE. */
  private readonly objectOf: Int32Array;
  private readonly shndxOf: Uint32Array;
  private readonly bySection = new Map<number, { offsets: Float64Array; objects: Int32Array }>();

  private constructor(
    private readonly table: SymbolTable,
    private readonly elf: ElfFile,
  ) {
    const t = table.bytes;
    const n = Math.max(Math.min(t.firstNonLocal, table.count) - 1, 0);
    this.objectOf = new Int32Array(n).fill(-1);
    this.shndxOf = new Uint32Array(n);
    const b = t.entries;
    const le = t.littleEndian;
    const size = t.is64 ? 24 : 16;
    const infoAt = t.is64 ? 4 : 12;
    const shndxAt = t.is64 ? 6 : 14;
    let object = -1;
    for (let k = 0; k < n; k++) {
      const i = k + 1;
      const o = i * size;
      const type = b[o + infoAt]! & 0xf;
      if (type === STT_FILE) {
        this.starts.push(i);
        this.functions.push(undefined);
        object++;
        continue;
      }
      if (type === STT_SECTION || object < 0) continue;
      let shndx = le ? b[o + shndxAt]! | (b[o + shndxAt + 1]! << 8) : (b[o + shndxAt]! << 8) | b[o + shndxAt + 1]!;
      if (shndx === SHN_XINDEX && t.extendedIndexes && t.extendedIndexes.length >= (i + 1) * 4) {
        shndx = le ? t.extendedIndexes.readUInt32LE(i * 4) : t.extendedIndexes.readUInt32BE(i * 4);
      }
      this.objectOf[k] = object;
      this.shndxOf[k] = shndx;
      if (type === STT_FUNC && this.functions[object] === undefined && shndx !== SHN_UNDEF && shndx < SHN_LORESERVE) this.functions[object] = this.value(i);
    }
  }

  /** The input objects of a linked file; undefined when it has no symbol table. */
  static of(elf: ElfFile): LinkedObjects | undefined {
    const table = elf.symtab();
    return table ? new LinkedObjects(table, elf) : undefined;
  }

  get count(): number {
    return this.starts.length;
  }

  /** The STT_FILE name of object `i` (a basename: "fips.c"; assembler objects are often "x.o"). */
  name(i: number): string {
    return this.table.at(this.starts[i]!).name;
  }

  /** The address of object `i`'s first local function, if it has one. */
  functionAddress(i: number): bigint | undefined {
    return this.functions[i];
  }

  /** The object of the local symbol with symbol index `index`; undefined for a global, a file, a section, or a local before any STT_FILE. */
  objectOfSymbol(index: number): number | undefined {
    const o = this.objectOf[index - 1];
    return o === undefined || o < 0 ? undefined : o;
  }

  /** The objects of the local symbols named by any of `names` (e.g. "__ksymtab_fips_enabled": the object that exported it in 6.1), in one pass. */
  objectsOfLocals(names: readonly string[]): number[] {
    const out: number[] = [];
    for (const indexes of this.table.localsNamed(names).values()) {
      for (const i of indexes) {
        const o = this.objectOfSymbol(i);
        if (o !== undefined && !out.includes(o)) out.push(o);
      }
    }
    return out.sort((a, b) => a - b);
  }

  /**
   * The objects of the nearest named local symbols (not files, not sections) in data section
   * `shndx`: the last one at or below `address`, and the first one above it.
   */
  neighbours(shndx: number, address: bigint): { below: number | undefined; above: number | undefined } {
    const index = this.sectionIndex(shndx);
    const base = this.elf.sections[shndx]?.addr ?? 0n;
    if (address < base) return { below: undefined, above: index.objects.length ? index.objects[0] : undefined };
    const at = Number(address - base);
    let lo = 0;
    let hi = index.offsets.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (index.offsets[mid]! <= at) lo = mid + 1;
      else hi = mid;
    }
    return { below: lo > 0 ? index.objects[lo - 1] : undefined, above: lo < index.objects.length ? index.objects[lo] : undefined };
  }

  /**
   * The named local symbols of one section, by offset from the section's address, with their
   * objects. Every data section's index is built in one pass over the locals, when the first
   * is asked for: a question about a few variables asks about a few data sections.
   */
  private sectionIndex(shndx: number): { offsets: Float64Array; objects: Int32Array } {
    if (this.bySection.size === 0) this.indexSections();
    return this.bySection.get(shndx) ?? EMPTY_INDEX;
  }

  private indexSections(): void {
    const t = this.table.bytes;
    const b = t.entries;
    const le = t.littleEndian;
    const size = t.is64 ? 24 : 16;
    const valueAt = t.is64 ? 8 : 4;
    const bases = new Map<number, { high: number; low: number } | null>();
    // Per section: each symbol as one number, its offset times 2^20 plus its place in `places`.
    const keys = new Map<number, number[]>();
    const places = new Map<number, number[]>();
    for (let k = 0; k < this.objectOf.length; k++) {
      if (this.objectOf[k]! < 0) continue;
      const shndx = this.shndxOf[k]!;
      if (shndx === SHN_UNDEF || shndx >= SHN_LORESERVE) continue;
      const o = (k + 1) * size;
      if ((le ? b.readUInt32LE(o) : b.readUInt32BE(o)) === 0) continue;
      let base = bases.get(shndx);
      if (base === null) continue;
      if (!base) {
        // Variables live in data sections: code sections' many locals are left out.
        const section = this.elf.sections[shndx];
        if (section && section.flags & SHF_EXECINSTR) {
          bases.set(shndx, null);
          continue;
        }
        const addr = section?.addr ?? 0n;
        bases.set(shndx, (base = { high: Number(addr >> 32n), low: Number(addr & 0xffffffffn) }));
        keys.set(shndx, []);
        places.set(shndx, []);
      }
      // value - section address, from the value's 32-bit halves (no bigint per symbol)
      const high = t.is64 ? (le ? b.readUInt32LE(o + valueAt + 4) : b.readUInt32BE(o + valueAt)) : 0;
      const low = t.is64 && !le ? b.readUInt32BE(o + valueAt + 4) : le ? b.readUInt32LE(o + valueAt) : b.readUInt32BE(o + valueAt);
      const offset = (high - base.high) * 2 ** 32 + (low - base.low);
      if (offset < 0 || offset >= 2 ** 32) continue;
      const p = places.get(shndx)!;
      keys.get(shndx)!.push(offset * 2 ** 20 + p.length);
      p.push(k);
    }
    for (const [shndx, list] of keys) {
      const p = places.get(shndx)!;
      const offsets = new Float64Array(list.length);
      const objects = new Int32Array(list.length);
      if (list.length < 2 ** 20) {
        // Sorted natively: by offset, then table order.
        const sorted = Float64Array.from(list).sort();
        for (let j = 0; j < sorted.length; j++) {
          const place = sorted[j]! % 2 ** 20;
          offsets[j] = (sorted[j]! - place) / 2 ** 20;
          objects[j] = this.objectOf[p[place]!]!;
        }
      } else {
        const order = list.map((_, j) => j).sort((x, y) => Math.floor(list[x]! / 2 ** 20) - Math.floor(list[y]! / 2 ** 20) || x - y);
        order.forEach((j, n) => {
          offsets[n] = Math.floor(list[j]! / 2 ** 20);
          objects[n] = this.objectOf[p[j]!]!;
        });
      }
      this.bySection.set(shndx, { offsets, objects });
    }
    // Even a table without named locals is indexed once.
    if (this.bySection.size === 0) this.bySection.set(-1, EMPTY_INDEX);
  }

  private value(i: number): bigint {
    const t = this.table.bytes;
    const o = i * (t.is64 ? 24 : 16);
    if (t.is64) return t.littleEndian ? t.entries.readBigUInt64LE(o + 8) : t.entries.readBigUInt64BE(o + 8);
    return BigInt(t.littleEndian ? t.entries.readUInt32LE(o + 4) : t.entries.readUInt32BE(o + 4));
  }
}
