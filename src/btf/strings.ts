import { InputError } from '../errors.js';
import { at } from './header.js';

/**
 * A BTF string section. In split BTF the offsets continue the base's: an offset below the
 * base's total string length names a base string, the rest index this section from its
 * start (so a split section's first string, at offset `start`, need not be the empty one).
 * Every section ends with a NUL (checked), so any offset below `total` reads a terminated
 * string. An offset may point into the middle of a string and read its tail: legal for a
 * reader, but no producer we know writes one (see split.ts for why that matters).
 */
export class BtfStrings {
  /** The first offset that names a string of this section. */
  readonly start: number;
  /** One past the last valid offset, base included. */
  readonly total: number;

  constructor(
    readonly file: string,
    readonly section: string,
    /** This section's bytes only. */
    readonly bytes: Buffer,
    /** Offset of `bytes` inside the BTF data, for messages. */
    readonly sectionOffset: number,
    readonly base: BtfStrings | undefined,
  ) {
    this.start = base ? base.total : 0;
    this.total = this.start + bytes.length;
    if (base && bytes.length === 0) return;
    if (bytes.length === 0) throw new InputError(file, `string section at ${at(section, sectionOffset)}: empty (a base BTF needs at least the empty string)`);
    if (bytes[bytes.length - 1] !== 0) {
      throw new InputError(file, `string section at ${at(section, sectionOffset + bytes.length - 1)}: last string is not NUL-terminated`);
    }
    if (!base && bytes[0] !== 0) {
      throw new InputError(file, `string section at ${at(section, sectionOffset)}: does not start with the empty string (split BTF read without its base?)`);
    }
  }

  /** The table holding `off` and the index in its bytes; undefined when out of range. */
  private locate(off: number): { table: BtfStrings; index: number } | undefined {
    let table: BtfStrings | undefined = this;
    while (table && off < table.start) table = table.base;
    if (!table || off >= table.total || off < 0) return undefined;
    return { table, index: off - table.start };
  }

  private readonly decoded = new Map<number, string>();

  has(off: number): boolean {
    return Number.isInteger(off) && off >= 0 && off < this.total;
  }

  get(off: number): string {
    const cached = this.decoded.get(off);
    if (cached !== undefined) return cached;
    const hit = this.locate(off);
    if (!hit) throw new InputError(this.file, `string offset ${off} out of range (${this.total} bytes of strings)`);
    const b = hit.table.bytes;
    const end = b.indexOf(0, hit.index);
    // BTF deduplicates strings: member names like "next" or "lock" are one offset used thousands of times.
    const text = b.toString('utf8', hit.index, end);
    this.decoded.set(off, text);
    return text;
  }

  /** Whether `off` is where a string begins (offset 0, a split section's first byte, or after a NUL). */
  isStart(off: number): boolean {
    const hit = this.locate(off);
    if (!hit) return false;
    return hit.index === 0 || hit.table.bytes[hit.index - 1] === 0;
  }

  /** Whether the string at `off` is exactly `key` (UTF-8 bytes, no NUL). */
  equals(off: number, key: Buffer): boolean {
    const hit = this.locate(off);
    if (!hit) return false;
    const b = hit.table.bytes;
    const end = hit.index + key.length;
    return end < b.length && b[end] === 0 && b.compare(key, 0, key.length, hit.index, end) === 0;
  }

  /** FNV-1a of the string at `off` (for the name index); 0 for an out-of-range offset. */
  hash(off: number): number {
    const hit = this.locate(off);
    if (!hit) return 0;
    const b = hit.table.bytes;
    let h = 0x811c9dc5;
    for (let i = hit.index; b[i] !== 0; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
    return h >>> 0;
  }
}

export function hashKey(key: Buffer): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key[i]!, 0x01000193);
  return h >>> 0;
}
