import { InputError } from '../errors.js';
import { DW_FORM } from './constants.js';
import { Cursor } from './reader.js';

export interface AttributeSpec {
  readonly at: number;
  readonly form: number;
  /** DW_FORM_implicit_const: the value lives in the abbreviation. */
  readonly implicitConst: bigint | undefined;
}

export interface Abbreviation {
  readonly code: number;
  readonly tag: number;
  readonly hasChildren: boolean;
  readonly attributes: readonly AttributeSpec[];
}

/**
 * One unit's abbreviation table, decoded incrementally: a lookup scans forward only as far
 * as the code it needs and builds objects only for the codes asked for. A distribution
 * vmlinux has ~2,600 tables with hundreds of entries each; reading every unit's root DIE
 * must not decode them all.
 */
export class AbbreviationTable {
  private readonly decoded = new Map<number, Abbreviation>();
  /** Entry offsets by code (codes are small integers); -1 where not seen yet. */
  private positions: Int32Array = new Int32Array(64).fill(-1);
  private readonly farPositions = new Map<number, number>();
  private scanPos: number;
  private complete = false;

  constructor(
    private readonly cursor: Cursor,
    offset: number,
  ) {
    this.scanPos = offset;
  }

  get(code: number): Abbreviation | undefined {
    const hit = this.decoded.get(code);
    if (hit) return hit;
    let at = this.position(code);
    if (at === undefined && !this.complete) at = this.scanTo(code);
    if (at === undefined) return undefined;
    const abbrev = this.decodeAt(at, code);
    this.decoded.set(code, abbrev);
    return abbrev;
  }

  /**
   * Whether the whole table lies in the cursor's bytes (its terminating 0 code included),
   * scanning what is not scanned yet. False, rather than an error, when the bytes end first:
   * the caller read a window of the section and can read more.
   */
  endsWithin(): boolean {
    if (this.complete) return true;
    try {
      this.scanTo(Number.POSITIVE_INFINITY);
      return true;
    } catch (err) {
      if (err instanceof InputError) return false;
      throw err;
    }
  }

  private position(code: number): number | undefined {
    if (code < this.positions.length) {
      const p = this.positions[code]!;
      return p < 0 ? undefined : p;
    }
    return this.farPositions.get(code);
  }

  private record(code: number, at: number): boolean {
    if (code < 1 << 16) {
      if (code >= this.positions.length) {
        let size = this.positions.length;
        while (size <= code) size *= 2;
        const grown = new Int32Array(size).fill(-1);
        grown.set(this.positions);
        this.positions = grown;
      }
      if (this.positions[code]! >= 0) return false;
      this.positions[code] = at;
      return true;
    }
    if (this.farPositions.has(code)) return false;
    this.farPositions.set(code, at);
    return true;
  }

  /** Records entry positions up to and including `wanted` without building objects. */
  private scanTo(wanted: number): number | undefined {
    const c = this.cursor;
    const b = c.buf;
    let p = this.scanPos;
    // LEB128 fields are almost always one byte: skip them inline.
    const skipLeb = () => {
      let n = 0;
      while (p < b.length && (b[p++]! & 0x80) !== 0) if (++n > 10) c.fail('LEB128 too long', p);
      if (p > b.length) c.fail('truncated abbreviation table', p);
    };
    for (;;) {
      const entry = p;
      c.pos = p;
      const code = c.uleb();
      p = c.pos;
      if (code === 0) {
        this.complete = true;
        this.scanPos = p;
        return undefined;
      }
      if (!this.record(code, entry)) c.fail(`duplicate abbreviation code ${code}`, entry);
      skipLeb(); // tag
      p++; // children flag
      for (;;) {
        if (p + 1 >= b.length) c.fail('truncated abbreviation table', p);
        const at = b[p]!;
        const form = b[p + 1]!;
        if (at === 0 && form === 0) {
          p += 2;
          break;
        }
        if (at < 0x80 && form < 0x80) {
          p += 2;
          if (form === DW_FORM.implicit_const) skipLeb();
          continue;
        }
        c.pos = p;
        c.uleb();
        const f = c.uleb();
        p = c.pos;
        if (f === DW_FORM.implicit_const) skipLeb();
      }
      if (code === wanted) {
        this.scanPos = p;
        return entry;
      }
    }
  }

  private decodeAt(at: number, code: number): Abbreviation {
    const c = this.cursor;
    c.pos = at;
    c.uleb();
    const tag = c.uleb();
    const hasChildren = c.u8() !== 0;
    const attributes: AttributeSpec[] = [];
    for (;;) {
      const attr = c.uleb();
      const form = c.uleb();
      if (attr === 0 && form === 0) break;
      const implicitConst = form === DW_FORM.implicit_const ? c.slebBig() : undefined;
      attributes.push({ at: attr, form, implicitConst });
    }
    return { code, tag, hasChildren, attributes };
  }
}
