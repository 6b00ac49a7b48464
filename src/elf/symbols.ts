import { InputError, hex } from '../errors.js';
import {
  SHN_ABS,
  SHN_COMMON,
  SHN_LORESERVE,
  SHN_UNDEF,
  SHN_XINDEX,
  STB_GLOBAL,
  STB_LOCAL,
  STB_WEAK,
  STT_COMMON,
  STT_FILE,
  STT_FUNC,
  STT_NOTYPE,
  STT_OBJECT,
  STT_SECTION,
  STT_TLS,
} from './constants.js';

import type { SymbolBinding, SymbolType } from '../facts/symbols.js';

export type { SymbolBinding, SymbolType };
export type SymbolVisibility = 'default' | 'internal' | 'hidden' | 'protected';

export interface ElfSymbol {
  readonly index: number;
  readonly name: string;
  readonly value: bigint;
  readonly size: number;
  readonly binding: SymbolBinding;
  readonly type: SymbolType;
  readonly visibility: SymbolVisibility;
  /** Section index after SHN_XINDEX resolution; SHN_UNDEF/SHN_ABS/SHN_COMMON kept as is. */
  readonly shndx: number;
}

const BINDINGS: Record<number, SymbolBinding> = { [STB_LOCAL]: 'local', [STB_GLOBAL]: 'global', [STB_WEAK]: 'weak' };
const TYPES: Record<number, SymbolType> = {
  [STT_NOTYPE]: 'notype',
  [STT_OBJECT]: 'object',
  [STT_FUNC]: 'func',
  [STT_SECTION]: 'section',
  [STT_FILE]: 'file',
  [STT_COMMON]: 'common',
  [STT_TLS]: 'tls',
};
const VISIBILITIES: SymbolVisibility[] = ['default', 'internal', 'hidden', 'protected'];

export function isDefined(sym: ElfSymbol): boolean {
  return sym.shndx !== SHN_UNDEF;
}

export function isUndefinedReference(sym: ElfSymbol): boolean {
  return sym.shndx === SHN_UNDEF && sym.index !== 0 && sym.binding !== 'local' && sym.name !== '';
}

/**
 * An AArch64 mapping symbol: `$x` (code follows) or `$d` (data follows), optionally
 * `$x.<anything>` (AAELF64 §5.7.1). One starts nearly every section of every object, so it
 * names no place: it only says what kind of bytes follow.
 */
export function isMappingSymbol(sym: ElfSymbol): boolean {
  return sym.binding === 'local' && sym.type === 'notype' && /^\$[xd](\.|$)/.test(sym.name);
}

export function isSpecialSection(shndx: number): boolean {
  return shndx === SHN_ABS || shndx === SHN_COMMON || (shndx >= SHN_LORESERVE && shndx !== SHN_XINDEX);
}

export interface SymbolTableBytes {
  readonly file: string;
  readonly is64: boolean;
  readonly littleEndian: boolean;
  readonly entries: Buffer;
  readonly strings: Buffer;
  /** SHT_SYMTAB_SHNDX contents, when the file has one. */
  readonly extendedIndexes: Buffer | undefined;
  readonly sectionCount: number;
  /** sh_info of .symtab: the index of the first non-local symbol (locals come first). */
  readonly firstNonLocal: number;
}

/**
 * Decodes a whole SHT_SYMTAB. Entry 0 (the null symbol) is kept so indexes match relocations.
 * A 6.12 vmlinux has ~200,000 symbols: names are cut from one string conversion of the
 * string table, and values (bigint) are read from the entry only when asked for.
 */
export function decodeSymbols(t: SymbolTableBytes): ElfSymbol[] {
  const entSize = t.is64 ? 24 : 16;
  if (t.entries.length % entSize !== 0) {
    throw new InputError(t.file, `symbol table size ${t.entries.length} is not a multiple of ${entSize}`);
  }
  const count = t.entries.length / entSize;
  const strings = t.strings.toString('latin1');
  const out: ElfSymbol[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = decodeSymbol(t, i, strings);
  return out;
}

/** Entry `i`; `strings` is the string table as one latin1 string. */
function decodeSymbol(t: SymbolTableBytes, i: number, strings: string): ElfSymbol {
  const b = t.entries;
  const le = t.littleEndian;
  const o = i * (t.is64 ? 24 : 16);
  const nameOff = le ? b.readUInt32LE(o) : b.readUInt32BE(o);
  let info: number, other: number, shndx: number, size: number;
  if (t.is64) {
    info = b[o + 4]!;
    other = b[o + 5]!;
    shndx = le ? b.readUInt16LE(o + 6) : b.readUInt16BE(o + 6);
    const hi = le ? b.readUInt32LE(o + 20) : b.readUInt32BE(o + 16);
    const lo = le ? b.readUInt32LE(o + 16) : b.readUInt32BE(o + 20);
    size = hi >= 0x200000 ? Number.MAX_SAFE_INTEGER : hi * 0x100000000 + lo;
  } else {
    size = le ? b.readUInt32LE(o + 8) : b.readUInt32BE(o + 8);
    info = b[o + 12]!;
    other = b[o + 13]!;
    shndx = le ? b.readUInt16LE(o + 14) : b.readUInt16BE(o + 14);
  }
  if (shndx === SHN_XINDEX) {
    if (!t.extendedIndexes || t.extendedIndexes.length < (i + 1) * 4) {
      throw new InputError(t.file, `symbol ${i} uses SHN_XINDEX but there is no SHT_SYMTAB_SHNDX entry for it`);
    }
    shndx = le ? t.extendedIndexes.readUInt32LE(i * 4) : t.extendedIndexes.readUInt32BE(i * 4);
    if (shndx >= t.sectionCount) {
      throw new InputError(t.file, `symbol ${i}: extended section index ${shndx} out of range`);
    }
  } else if (shndx !== SHN_UNDEF && shndx < SHN_LORESERVE && shndx >= t.sectionCount) {
    throw new InputError(t.file, `symbol ${i}: section index ${shndx} out of range (${t.sectionCount} sections)`);
  }
  let name = '';
  if (nameOff !== 0) {
    const end = nameOff < strings.length ? strings.indexOf('\0', nameOff) : -1;
    if (end < 0) {
      throw new InputError(t.file, `name of symbol ${i} at ${hex(nameOff)} lies outside its string table or is not NUL-terminated`);
    }
    name = strings.slice(nameOff, end);
  }
  return new DecodedSymbol(b, o, t.is64, le, i, name, size, info, other, shndx);
}

class DecodedSymbol implements ElfSymbol {
  readonly binding: SymbolBinding;
  readonly type: SymbolType;
  readonly visibility: SymbolVisibility;

  constructor(
    private readonly entries: Buffer,
    private readonly entryOffset: number,
    private readonly is64: boolean,
    private readonly littleEndian: boolean,
    readonly index: number,
    readonly name: string,
    readonly size: number,
    info: number,
    other: number,
    readonly shndx: number,
  ) {
    this.binding = BINDINGS[info >> 4] ?? 'other';
    this.type = TYPES[info & 0xf] ?? 'other';
    this.visibility = VISIBILITIES[other & 3]!;
  }

  get value(): bigint {
    const b = this.entries;
    const o = this.entryOffset;
    if (this.is64) return this.littleEndian ? b.readBigUInt64LE(o + 8) : b.readBigUInt64BE(o + 8);
    return BigInt(this.littleEndian ? b.readUInt32LE(o + 4) : b.readUInt32BE(o + 4));
  }
}

/**
 * A symbol table that answers "which entries are named X" without decoding every entry: a
 * 6.12 vmlinux has 200,000 symbols and a module check needs a few dozen of them. Names are
 * hashed from the string-table bytes into a chained table on first lookup (no strings, no
 * objects); only hits become ElfSymbol objects.
 */
export class SymbolTable {
  readonly count: number;
  private readonly entSize: number;
  private slots: Int32Array | undefined;
  private chain: Int32Array | undefined;
  private cache = new Map<number, ElfSymbol>();
  private decodedAll: ElfSymbol[] | undefined;
  private strings: string | undefined;

  constructor(private readonly t: SymbolTableBytes) {
    this.entSize = t.is64 ? 24 : 16;
    if (t.entries.length % this.entSize !== 0) {
      throw new InputError(t.file, `symbol table size ${t.entries.length} is not a multiple of ${this.entSize}`);
    }
    this.count = t.entries.length / this.entSize;
  }

  /** The raw table: for readers that walk many entries without decoding them (linked-objects.ts). */
  get bytes(): SymbolTableBytes {
    return this.t;
  }

  private nameOffset(i: number): number {
    const o = i * this.entSize;
    return this.t.littleEndian ? this.t.entries.readUInt32LE(o) : this.t.entries.readUInt32BE(o);
  }

  /** Every entry, decoded (cached). */
  all(): readonly ElfSymbol[] {
    this.decodedAll ??= decodeSymbols(this.t);
    return this.decodedAll;
  }

  /**
   * The entries after the locals (sh_info onwards): every global and weak symbol, decoded
   * without decoding the locals, which are most of a vmlinux's table.
   */
  nonLocals(): readonly ElfSymbol[] {
    if (this.decodedAll) return this.decodedAll.slice(this.localEnd);
    this.strings ??= this.t.strings.toString('latin1');
    const out: ElfSymbol[] = [];
    for (let i = this.localEnd; i < this.count; i++) out.push(decodeSymbol(this.t, i, this.strings));
    return out;
  }

  at(i: number): ElfSymbol {
    if (i < 0 || i >= this.count) throw new InputError(this.t.file, `symbol index ${i} out of range (${this.count} symbols)`);
    if (this.decodedAll) return this.decodedAll[i]!;
    let s = this.cache.get(i);
    if (!s) {
      this.strings ??= this.t.strings.toString('latin1');
      s = decodeSymbol(this.t, i, this.strings);
      this.cache.set(i, s);
    }
    return s;
  }

  /**
   * Indexes of the global and weak entries named `name`. The hash index covers only the
   * non-local part of the table (a third of vmlinux's 200,000 symbols) and is built on the
   * first lookup; locals() searches the rest when asked.
   */
  lookup(name: string): number[] {
    const key = Buffer.from(name, 'latin1');
    const { slots, chain } = this.index();
    const out: number[] = [];
    for (let i = slots[hashBytes(key, 0, key.length) & (slots.length - 1)]!; i >= 0; i = chain[i]!) {
      if (this.nameEquals(i, key)) out.push(i);
    }
    return out.sort((a, b) => a - b);
  }

  /** Indexes of the local entries named `name`: a search of the string table, then of the local entries. */
  locals(name: string): number[] {
    return this.localsNamed([name]).get(name) ?? [];
  }

  /**
   * The local entries named by each of `names`, in one pass over the locals: a search of the
   * string table for each name (where it ends a string: a name may also be the tail of a
   * longer, merged string), then of the local entries for those offsets.
   */
  localsNamed(names: readonly string[]): Map<string, number[]> {
    const s = this.t.strings;
    const wanted = new Map<number, string>();
    for (const name of names) {
      const needle = Buffer.from(`${name}\0`, 'latin1');
      for (let at = s.indexOf(needle, 1); at >= 0; at = s.indexOf(needle, at + 1)) wanted.set(at, name);
    }
    const out = new Map<string, number[]>();
    if (wanted.size === 0) return out;
    for (let i = 1; i < this.localEnd; i++) {
      const name = wanted.get(this.nameOffset(i));
      if (name === undefined) continue;
      let list = out.get(name);
      if (!list) out.set(name, (list = []));
      list.push(i);
    }
    return out;
  }

  private get localEnd(): number {
    return Math.min(Math.max(this.t.firstNonLocal, 1), this.count);
  }

  private nameEquals(i: number, key: Buffer): boolean {
    const s = this.t.strings;
    const off = this.nameOffset(i);
    if (off + key.length >= s.length || s[off + key.length] !== 0) return false;
    return s.compare(key, 0, key.length, off, off + key.length) === 0;
  }

  private index(): { slots: Int32Array; chain: Int32Array } {
    if (this.slots && this.chain) return { slots: this.slots, chain: this.chain };
    let size = 1;
    while (size < this.count * 2) size <<= 1;
    const slots = new Int32Array(size).fill(-1);
    const chain = new Int32Array(this.count).fill(-1);
    const s = this.t.strings;
    for (let i = this.count - 1; i >= this.localEnd; i--) {
      const off = this.nameOffset(i);
      if (off === 0 || off >= s.length) continue;
      let end = s.indexOf(0, off);
      if (end < 0) end = s.length;
      const h = hashBytes(s, off, end) & (size - 1);
      chain[i] = slots[h]!;
      slots[h] = i;
    }
    this.slots = slots;
    this.chain = chain;
    return { slots, chain };
  }
}

/**
 * FNV-1a over the length, the first 4 and the last 12 bytes of a name: kernel names share
 * long prefixes (__ksymtab_, __kstrtab_, __crc_) and differ at the end. Collisions only
 * lengthen a chain; lookups compare whole names.
 */
function hashBytes(b: Buffer, start: number, end: number): number {
  let h = Math.imul(0x811c9dc5 ^ (end - start), 0x01000193);
  const head = Math.min(end, start + 4);
  for (let i = start; i < head; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  for (let i = Math.max(head, end - 12); i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}
