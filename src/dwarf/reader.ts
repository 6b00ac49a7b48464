import { InputError, hex } from '../errors.js';

/**
 * A bounds-checked cursor over one DWARF section. Every failure names the file, the
 * section and the offset, like gimli's errors-as-values with offsets.
 */
export class Cursor {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly littleEndian: boolean,
    readonly file: string,
    readonly section: string,
    /** Section offset of buf[0]: a unit's bytes are read on their own, without the rest of the section. */
    readonly base = 0,
  ) {}

  fail(what: string, at = this.pos): never {
    throw new InputError(this.file, `${this.section}+${hex(this.base + at)}: ${what}`);
  }

  need(n: number): void {
    if (this.pos + n > this.buf.length) this.fail(`truncated (need ${n} bytes, ${this.buf.length - this.pos} left)`);
  }

  u8(): number {
    if (this.pos >= this.buf.length) this.fail('truncated');
    return this.buf[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const v = this.littleEndian ? this.buf.readUInt16LE(this.pos) : this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u24(): number {
    this.need(3);
    const b = this.buf;
    const p = this.pos;
    this.pos += 3;
    return this.littleEndian ? b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) : (b[p]! << 16) | (b[p + 1]! << 8) | b[p + 2]!;
  }

  u32(): number {
    this.need(4);
    const v = this.littleEndian ? this.buf.readUInt32LE(this.pos) : this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  u64(): bigint {
    this.need(8);
    const v = this.littleEndian ? this.buf.readBigUInt64LE(this.pos) : this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  /** A 64-bit value that must fit a JS number (offsets, sizes). */
  u64Number(what: string): number {
    const at = this.pos;
    const v = this.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what} ${hex(v)} out of range`, at);
    return Number(v);
  }

  /** A section offset of the unit's offset size (4 in 32-bit DWARF, 8 in 64-bit DWARF). */
  offset(size: 4 | 8, what = 'offset'): number {
    return size === 4 ? this.u32() : this.u64Number(what);
  }

  address(size: number): bigint {
    switch (size) {
      case 8:
        return this.u64();
      case 4:
        return BigInt(this.u32());
      case 2:
        return BigInt(this.u16());
      case 1:
        return BigInt(this.u8());
      default:
        return this.fail(`unsupported address size ${size}`);
    }
  }

  uleb(): number {
    const first = this.buf[this.pos];
    if (first !== undefined && first < 0x80) {
      this.pos++;
      return first;
    }
    let result = 0;
    let shift = 0;
    const b = this.buf;
    for (;;) {
      if (this.pos >= b.length) this.fail('truncated LEB128');
      const byte = b[this.pos++]!;
      if (shift < 49) {
        result += (byte & 0x7f) * 2 ** shift;
      } else if ((byte & 0x7f) !== 0) {
        this.fail('LEB128 value too large');
      }
      if ((byte & 0x80) === 0) return result;
      shift += 7;
      if (shift > 70) this.fail('LEB128 too long');
    }
  }

  /** Unsigned LEB128 as bigint, for DW_FORM_udata constants that may exceed 2^53. */
  ulebBig(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = this.u8();
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) this.fail('LEB128 too long');
    }
  }

  slebBig(): bigint {
    let result = 0n;
    let shift = 0n;
    let byte: number;
    do {
      byte = this.u8();
      result |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if (shift > 70n) this.fail('LEB128 too long');
    } while (byte & 0x80);
    if (byte & 0x40) result -= 1n << shift;
    return result;
  }

  skipLeb(): void {
    const b = this.buf;
    let n = 0;
    for (;;) {
      if (this.pos >= b.length) this.fail('truncated LEB128');
      if (++n > 10) this.fail('LEB128 too long');
      if ((b[this.pos++]! & 0x80) === 0) return;
    }
  }

  bytes(n: number): Buffer {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  cstring(): string {
    const end = this.buf.indexOf(0, this.pos);
    if (end < 0) this.fail('unterminated string');
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end + 1;
    return s;
  }
}

/** A NUL-terminated string at an offset of a string section (.debug_str, .debug_line_str). */
export function stringAt(buf: Buffer, offset: number, file: string, section: string): string {
  if (offset >= buf.length) throw new InputError(file, `${section}: string offset ${hex(offset)} out of range (${buf.length} bytes)`);
  const end = buf.indexOf(0, offset);
  if (end < 0) throw new InputError(file, `${section}+${hex(offset)}: unterminated string`);
  return buf.toString('utf8', offset, end);
}
