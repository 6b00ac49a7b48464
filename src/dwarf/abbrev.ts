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
  private readonly positions = new Map<number, number>();
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
    let at = this.positions.get(code);
    if (at === undefined && !this.complete) at = this.scanTo(code);
    if (at === undefined) return undefined;
    const abbrev = this.decodeAt(at, code);
    this.decoded.set(code, abbrev);
    return abbrev;
  }

  /** Records entry positions up to and including `wanted` without building objects. */
  private scanTo(wanted: number): number | undefined {
    const c = this.cursor;
    c.pos = this.scanPos;
    for (;;) {
      const entry = c.pos;
      const code = c.uleb();
      if (code === 0) {
        this.complete = true;
        this.scanPos = c.pos;
        return undefined;
      }
      if (this.positions.has(code)) c.fail(`duplicate abbreviation code ${code}`, entry);
      this.positions.set(code, entry);
      c.skipLeb(); // tag
      c.skip(1); // children flag
      for (;;) {
        const at = c.uleb();
        const form = c.uleb();
        if (at === 0 && form === 0) break;
        if (form === DW_FORM.implicit_const) c.skipLeb();
      }
      if (code === wanted) {
        this.scanPos = c.pos;
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
