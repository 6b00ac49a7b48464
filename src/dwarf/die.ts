import { InputError, hex } from '../errors.js';
import type { Abbreviation, AbbreviationTable } from './abbrev.js';
import { formMismatch } from './classes.js';
import { DW_AT, DW_FORM } from './constants.js';
import { LIMITS, overLimit } from '../limits.js';
import { Cursor } from './reader.js';
import type { UnitHeader } from './unit.js';

export type StringSection = '.debug_str' | '.debug_line_str';

/** What a unit needs from the file it lives in; implemented by DwarfFile. */
export interface UnitContext {
  readonly file: string;
  readonly littleEndian: boolean;
  /** The unit's bytes; with `limit`, only its first `limit` bytes (enough for the root DIE). */
  infoBytes(header: UnitHeader, limit?: number): Buffer;
  abbreviations(offset: number): AbbreviationTable;
  /** The string at an offset of a string section; undefined when the file has no such section. */
  stringAt(section: StringSection, offset: number): string | undefined;
  strOffsetsSection(): Buffer | undefined;
  addrSection(): Buffer | undefined;
}

export type AttrValue =
  | { readonly kind: 'address'; readonly value: bigint }
  | { readonly kind: 'constant'; readonly value: bigint; readonly signed: boolean }
  | { readonly kind: 'data16'; readonly bytes: Buffer }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'flag'; readonly value: boolean }
  /** A DIE in the same section; `offset` is a section offset (unit-relative forms are resolved). */
  | { readonly kind: 'reference'; readonly offset: number }
  | { readonly kind: 'signature'; readonly value: bigint }
  | { readonly kind: 'block'; readonly bytes: Buffer }
  | { readonly kind: 'section-offset'; readonly value: number }
  | { readonly kind: 'list-index'; readonly value: number }
  /** A reference into a supplementary (dwz) file, which relinkable does not follow. */
  | { readonly kind: 'supplementary'; readonly value: number };

export interface Attribute {
  readonly at: number;
  readonly form: number;
  readonly value: AttrValue;
}

export interface Die {
  /** Section offset of the DIE. */
  readonly offset: number;
  /** 0 for the unit's root DIE. */
  readonly depth: number;
  readonly abbrev: Abbreviation;
  /** Section offset of the DIE's first attribute. */
  readonly attrOffset: number;
}

export class Unit {
  /** The unit's bytes (all of them, unless the unit was made with a limit). */
  readonly bytes: Buffer;
  readonly abbrevs: AbbreviationTable;
  private bases: { str: number | undefined; addr: number | undefined } | undefined;
  /** Abbreviation codes whose forms were checked against their attributes' classes in this unit. */
  private readonly checkedCodes = new Set<number>();

  constructor(
    readonly ctx: UnitContext,
    readonly header: UnitHeader,
    /** Read only this many bytes of the unit: for questions about the root DIE alone. */
    limit?: number,
  ) {
    this.bytes = ctx.infoBytes(header, limit);
    this.abbrevs = ctx.abbreviations(header.abbrevOffset);
  }

  cursorAt(sectionOffset: number): Cursor {
    if (sectionOffset < this.header.offset || sectionOffset > this.header.end) {
      throw new InputError(this.ctx.file, `${this.header.section}: offset ${hex(sectionOffset)} outside unit at ${hex(this.header.offset)}`);
    }
    return new Cursor(this.bytes, sectionOffset - this.header.offset, this.ctx.littleEndian, this.ctx.file, this.header.section, this.header.offset);
  }

  /** Reads the DIE at `c.pos` and leaves the cursor after its attributes; null for a 0 (end of siblings) entry. */
  private readDieHeader(c: Cursor, depth: number): Die | null {
    const offset = c.base + c.pos;
    const code = c.uleb();
    if (code === 0) return null;
    const abbrev = this.abbrevs.get(code);
    if (!abbrev) c.fail(`${this.unitName()}: unknown abbreviation code ${code}`, offset - c.base);
    if (!this.checkedCodes.has(code)) {
      for (const spec of abbrev.attributes) {
        const allowed = formMismatch(spec.at, spec.form);
        if (allowed) {
          c.fail(
            `${this.unitName()}: DIE with abbreviation ${code} has attribute ${hex(spec.at)} in form ${hex(spec.form)}, which is not of its class (${allowed.join(', ')}): the abbreviation table does not describe this unit`,
            offset - c.base,
          );
        }
      }
      this.checkedCodes.add(code);
    }
    return { offset, depth, abbrev, attrOffset: c.base + c.pos };
  }

  /** "unit at 0x…", for errors: with the cursor's section and offset, where and in which unit reading failed. */
  private unitName(): string {
    return `unit at ${hex(this.header.offset)}`;
  }

  /**
   * After the root's list of children has ended: only zero padding may follow before the
   * unit's end. A DIE walk that stops short of the end (or would run past it) has decoded
   * something other than what the producer wrote.
   */
  private checkUnitEnd(c: Cursor): void {
    const end = this.header.end - this.header.offset;
    if (this.bytes.length < end) return; // a unit read in part (root DIE only)
    for (let p = c.pos; p < end; p++) {
      if (this.bytes[p] !== 0) {
        c.fail(`${this.unitName()}: its DIE tree ends at ${hex(c.base + c.pos)}, ${end - c.pos} bytes before the unit's end at ${hex(this.header.end)}`);
      }
    }
  }

  private skipAttributes(c: Cursor, abbrev: Abbreviation): void {
    for (const spec of abbrev.attributes) skipForm(c, spec.form, this.header);
  }

  root(): Die {
    const c = this.cursorAt(this.header.firstDieOffset);
    const die = this.readDieHeader(c, 0);
    if (!die) return c.fail('unit has no root DIE');
    return die;
  }

  dieAt(offset: number): Die {
    const c = this.cursorAt(offset);
    const die = this.readDieHeader(c, -1);
    if (!die) return c.fail('reference to a null entry');
    return die;
  }

  /**
   * Every DIE of the unit in order, with its depth. Iterative: deep or malformed trees
   * cannot overflow the stack.
   */
  *entries(): Generator<Die> {
    const c = this.cursorAt(this.header.firstDieOffset);
    const end = this.header.end - this.header.offset;
    let depth = 0;
    while (c.pos < end) {
      const die = this.readDieHeader(c, depth);
      if (!die) {
        // A null entry ends the current list of children; the one that ends the root's ends the tree.
        depth--;
        if (depth <= 0) return this.checkUnitEnd(c);
        continue;
      }
      this.skipAttributes(c, die.abbrev);
      yield die;
      if (die.abbrev.hasChildren) {
        depth++;
        if (depth > LIMITS.DIE_DEPTH.value) c.fail(`${this.unitName()}: ${overLimit(LIMITS.DIE_DEPTH, 'DIE tree too deep')}`);
      } else if (depth === 0) {
        return this.checkUnitEnd(c);
      }
    }
    if (this.bytes.length >= end) c.fail(`${this.unitName()}: the unit ends at ${hex(this.header.end)} inside its DIE tree (${depth} lists of children not terminated)`);
  }

  /** The direct children of `parent`, following DW_AT_sibling where the producer gave it. */
  children(parent: Die): Die[] {
    if (!parent.abbrev.hasChildren) return [];
    const c = this.cursorAt(parent.attrOffset);
    this.skipAttributes(c, parent.abbrev);
    const out: Die[] = [];
    const end = this.header.end - this.header.offset;
    const isRoot = parent.offset === this.header.firstDieOffset;
    while (c.pos < end) {
      const child = this.readDieHeader(c, parent.depth + 1);
      if (!child) {
        if (isRoot) this.checkUnitEnd(c);
        return out;
      }
      out.push(child);
      const sibling = child.abbrev.hasChildren ? this.siblingOffset(child) : undefined;
      if (sibling !== undefined) {
        if (sibling <= child.offset || sibling > this.header.end) c.fail(`bad DW_AT_sibling ${hex(sibling)}`, child.offset - c.base);
        c.pos = sibling - c.base;
        continue;
      }
      this.skipAttributes(c, child.abbrev);
      if (child.abbrev.hasChildren) this.skipSubtree(c);
    }
    return c.fail(`${this.unitName()}: the children of the DIE at ${hex(parent.offset)} run to the unit's end at ${hex(this.header.end)} without their terminating null entry`);
  }

  private siblingOffset(die: Die): number | undefined {
    if (!die.abbrev.attributes.some((a) => a.at === DW_AT.sibling)) return undefined;
    const v = this.attr(die, DW_AT.sibling);
    return v?.kind === 'reference' ? v.offset : undefined;
  }

  /** Skips the children of a DIE whose attributes the cursor has just passed. */
  private skipSubtree(c: Cursor): void {
    let depth = 1;
    const end = this.header.end - this.header.offset;
    while (depth > 0) {
      if (c.pos >= end) c.fail(`${this.unitName()}: unterminated list of children`);
      const die = this.readDieHeader(c, depth);
      if (!die) {
        depth--;
        continue;
      }
      this.skipAttributes(c, die.abbrev);
      if (die.abbrev.hasChildren) depth++;
    }
  }

  attributes(die: Die): Attribute[] {
    const c = this.cursorAt(die.attrOffset);
    return die.abbrev.attributes.map((spec) => ({ at: spec.at, form: spec.form, value: this.readValue(c, spec.form, spec.implicitConst) }));
  }

  attr(die: Die, at: number): AttrValue | undefined {
    const specs = die.abbrev.attributes;
    let i = 0;
    for (; i < specs.length; i++) if (specs[i]!.at === at) break;
    if (i === specs.length) return undefined;
    const c = this.cursorAt(die.attrOffset);
    for (let j = 0; j < i; j++) skipForm(c, specs[j]!.form, this.header);
    return this.readValue(c, specs[i]!.form, specs[i]!.implicitConst);
  }

  has(die: Die, at: number): boolean {
    return die.abbrev.attributes.some((a) => a.at === at);
  }

  string(die: Die, at: number): string | undefined {
    const v = this.attr(die, at);
    return v?.kind === 'string' ? v.value : undefined;
  }

  name(die: Die): string | undefined {
    return this.string(die, DW_AT.name);
  }

  /** The .debug_str offset an attribute holds in DW_FORM_strp; undefined in any other form. */
  strpOffset(die: Die, at: number): number | undefined {
    const specs = die.abbrev.attributes;
    const i = specs.findIndex((spec) => spec.at === at);
    if (i < 0 || specs[i]!.form !== DW_FORM.strp) return undefined;
    const c = this.cursorAt(die.attrOffset);
    for (let j = 0; j < i; j++) skipForm(c, specs[j]!.form, this.header);
    return c.offset(this.header.offsetSize);
  }

  flag(die: Die, at: number): boolean {
    const v = this.attr(die, at);
    return v?.kind === 'flag' ? v.value : false;
  }

  reference(die: Die, at: number): number | undefined {
    const v = this.attr(die, at);
    return v?.kind === 'reference' ? v.offset : undefined;
  }

  unsigned(die: Die, at: number): bigint | undefined {
    const v = this.attr(die, at);
    return v?.kind === 'constant' ? v.value : undefined;
  }

  address(die: Die, at: number): bigint | undefined {
    const v = this.attr(die, at);
    return v?.kind === 'address' ? v.value : undefined;
  }

  /** DW_AT_str_offsets_base / DW_AT_addr_base of the unit, from its root DIE. */
  private unitBases(): { str: number | undefined; addr: number | undefined } {
    if (this.bases) return this.bases;
    this.bases = { str: undefined, addr: undefined };
    const root = this.root();
    const c = this.cursorAt(root.attrOffset);
    let str: number | undefined;
    let addr: number | undefined;
    for (const spec of root.abbrev.attributes) {
      if (spec.at === DW_AT.str_offsets_base || spec.at === DW_AT.addr_base || spec.at === DW_AT.GNU_addr_base) {
        const v = this.readValue(c, spec.form, spec.implicitConst);
        const n = v.kind === 'section-offset' ? v.value : v.kind === 'constant' ? Number(v.value) : undefined;
        if (spec.at === DW_AT.str_offsets_base) str = n;
        else addr = n;
      } else {
        skipForm(c, spec.form, this.header);
      }
    }
    // DWARF 5 without an explicit base: the contribution starts after its 8-byte header.
    this.bases = {
      str: str ?? (this.header.version >= 5 ? (this.header.offsetSize === 8 ? 16 : 8) : 0),
      addr: addr ?? (this.header.version >= 5 ? 8 : 0),
    };
    return this.bases;
  }

  private indexedString(index: number, c: Cursor): string {
    const table = this.ctx.strOffsetsSection();
    if (!table) c.fail('DW_FORM_strx without .debug_str_offsets');
    const base = this.unitBases().str ?? 0;
    const size = this.header.offsetSize;
    const at = base + index * size;
    if (at + size > table.length) c.fail(`string index ${index} outside .debug_str_offsets`);
    const off = size === 4 ? (this.ctx.littleEndian ? table.readUInt32LE(at) : table.readUInt32BE(at)) : Number(this.ctx.littleEndian ? table.readBigUInt64LE(at) : table.readBigUInt64BE(at));
    const str = this.ctx.stringAt('.debug_str', off);
    if (str === undefined) c.fail('DW_FORM_strx without .debug_str');
    return str;
  }

  private indexedAddress(index: number, c: Cursor): bigint {
    const table = this.ctx.addrSection();
    if (!table) c.fail('DW_FORM_addrx without .debug_addr');
    const base = this.unitBases().addr ?? 0;
    const size = this.header.addressSize;
    const at = base + index * size;
    if (at + size > table.length) c.fail(`address index ${index} outside .debug_addr`);
    const t = new Cursor(table, at, this.ctx.littleEndian, this.ctx.file, '.debug_addr');
    return t.address(size);
  }

  private readValue(c: Cursor, form: number, implicitConst: bigint | undefined): AttrValue {
    const h = this.header;
    switch (form) {
      case DW_FORM.addr:
        return { kind: 'address', value: c.address(h.addressSize) };
      case DW_FORM.addrx:
      case DW_FORM.GNU_addr_index:
        return { kind: 'address', value: this.indexedAddress(c.uleb(), c) };
      case DW_FORM.addrx1:
        return { kind: 'address', value: this.indexedAddress(c.u8(), c) };
      case DW_FORM.addrx2:
        return { kind: 'address', value: this.indexedAddress(c.u16(), c) };
      case DW_FORM.addrx3:
        return { kind: 'address', value: this.indexedAddress(c.u24(), c) };
      case DW_FORM.addrx4:
        return { kind: 'address', value: this.indexedAddress(c.u32(), c) };
      case DW_FORM.data1:
        return { kind: 'constant', value: BigInt(c.u8()), signed: false };
      case DW_FORM.data2:
        return { kind: 'constant', value: BigInt(c.u16()), signed: false };
      case DW_FORM.data4:
        return { kind: 'constant', value: BigInt(c.u32()), signed: false };
      case DW_FORM.data8:
        return { kind: 'constant', value: c.u64(), signed: false };
      case DW_FORM.data16:
        return { kind: 'data16', bytes: c.bytes(16) };
      case DW_FORM.udata:
        return { kind: 'constant', value: c.ulebBig(), signed: false };
      case DW_FORM.sdata:
        return { kind: 'constant', value: c.slebBig(), signed: true };
      case DW_FORM.implicit_const:
        return { kind: 'constant', value: implicitConst ?? 0n, signed: true };
      case DW_FORM.string:
        return { kind: 'string', value: c.cstring() };
      case DW_FORM.strp: {
        const str = this.ctx.stringAt('.debug_str', c.offset(h.offsetSize));
        if (str === undefined) c.fail('DW_FORM_strp without .debug_str');
        return { kind: 'string', value: str };
      }
      case DW_FORM.line_strp: {
        const str = this.ctx.stringAt('.debug_line_str', c.offset(h.offsetSize));
        if (str === undefined) c.fail('DW_FORM_line_strp without .debug_line_str');
        return { kind: 'string', value: str };
      }
      case DW_FORM.strx:
      case DW_FORM.GNU_str_index:
        return { kind: 'string', value: this.indexedString(c.uleb(), c) };
      case DW_FORM.strx1:
        return { kind: 'string', value: this.indexedString(c.u8(), c) };
      case DW_FORM.strx2:
        return { kind: 'string', value: this.indexedString(c.u16(), c) };
      case DW_FORM.strx3:
        return { kind: 'string', value: this.indexedString(c.u24(), c) };
      case DW_FORM.strx4:
        return { kind: 'string', value: this.indexedString(c.u32(), c) };
      case DW_FORM.flag:
        return { kind: 'flag', value: c.u8() !== 0 };
      case DW_FORM.flag_present:
        return { kind: 'flag', value: true };
      case DW_FORM.ref1:
        return { kind: 'reference', offset: h.offset + c.u8() };
      case DW_FORM.ref2:
        return { kind: 'reference', offset: h.offset + c.u16() };
      case DW_FORM.ref4:
        return { kind: 'reference', offset: h.offset + c.u32() };
      case DW_FORM.ref8:
        return { kind: 'reference', offset: h.offset + c.u64Number('reference') };
      case DW_FORM.ref_udata:
        return { kind: 'reference', offset: h.offset + c.uleb() };
      case DW_FORM.ref_addr:
        return { kind: 'reference', offset: h.version <= 2 ? Number(c.address(h.addressSize)) : c.offset(h.offsetSize) };
      case DW_FORM.ref_sig8:
        return { kind: 'signature', value: c.u64() };
      case DW_FORM.block1:
        return { kind: 'block', bytes: c.bytes(c.u8()) };
      case DW_FORM.block2:
        return { kind: 'block', bytes: c.bytes(c.u16()) };
      case DW_FORM.block4:
        return { kind: 'block', bytes: c.bytes(c.u32()) };
      case DW_FORM.block:
      case DW_FORM.exprloc:
        return { kind: 'block', bytes: c.bytes(c.uleb()) };
      case DW_FORM.sec_offset:
        return { kind: 'section-offset', value: c.offset(h.offsetSize) };
      case DW_FORM.loclistx:
      case DW_FORM.rnglistx:
        return { kind: 'list-index', value: c.uleb() };
      case DW_FORM.ref_sup4:
        return { kind: 'supplementary', value: c.u32() };
      case DW_FORM.ref_sup8:
        return { kind: 'supplementary', value: c.u64Number('reference') };
      case DW_FORM.strp_sup:
      case DW_FORM.GNU_ref_alt:
      case DW_FORM.GNU_strp_alt:
        return { kind: 'supplementary', value: c.offset(h.offsetSize) };
      case DW_FORM.indirect: {
        const actual = c.uleb();
        if (actual === DW_FORM.indirect) c.fail('DW_FORM_indirect pointing at DW_FORM_indirect');
        return this.readValue(c, actual, implicitConst);
      }
      default:
        return c.fail(`unknown attribute form ${hex(form)}`);
    }
  }
}

/** Advances past one attribute value without decoding it. */
export function skipForm(c: Cursor, form: number, h: UnitHeader): void {
  // DW_FORM_indirect names the real form in the data; a loop, so a hostile chain cannot recurse.
  while (form === DW_FORM.indirect) form = c.uleb();
  switch (form) {
    case DW_FORM.flag_present:
    case DW_FORM.implicit_const:
      return;
    case DW_FORM.data1:
    case DW_FORM.ref1:
    case DW_FORM.flag:
    case DW_FORM.strx1:
    case DW_FORM.addrx1:
      c.skip(1);
      return;
    case DW_FORM.data2:
    case DW_FORM.ref2:
    case DW_FORM.strx2:
    case DW_FORM.addrx2:
      c.skip(2);
      return;
    case DW_FORM.strx3:
    case DW_FORM.addrx3:
      c.skip(3);
      return;
    case DW_FORM.data4:
    case DW_FORM.ref4:
    case DW_FORM.strx4:
    case DW_FORM.addrx4:
    case DW_FORM.ref_sup4:
      c.skip(4);
      return;
    case DW_FORM.data8:
    case DW_FORM.ref8:
    case DW_FORM.ref_sig8:
    case DW_FORM.ref_sup8:
      c.skip(8);
      return;
    case DW_FORM.data16:
      c.skip(16);
      return;
    case DW_FORM.addr:
      c.skip(h.addressSize);
      return;
    case DW_FORM.ref_addr:
      c.skip(h.version <= 2 ? h.addressSize : h.offsetSize);
      return;
    case DW_FORM.strp:
    case DW_FORM.line_strp:
    case DW_FORM.sec_offset:
    case DW_FORM.strp_sup:
    case DW_FORM.GNU_ref_alt:
    case DW_FORM.GNU_strp_alt:
      c.skip(h.offsetSize);
      return;
    case DW_FORM.udata:
    case DW_FORM.sdata:
    case DW_FORM.ref_udata:
    case DW_FORM.strx:
    case DW_FORM.addrx:
    case DW_FORM.loclistx:
    case DW_FORM.rnglistx:
    case DW_FORM.GNU_addr_index:
    case DW_FORM.GNU_str_index:
      c.skipLeb();
      return;
    case DW_FORM.string: {
      const end = c.buf.indexOf(0, c.pos);
      if (end < 0) c.fail('unterminated string');
      c.pos = end + 1;
      return;
    }
    case DW_FORM.block1:
      c.skip(c.u8());
      return;
    case DW_FORM.block2:
      c.skip(c.u16());
      return;
    case DW_FORM.block4:
      c.skip(c.u32());
      return;
    case DW_FORM.block:
    case DW_FORM.exprloc:
      c.skip(c.uleb());
      return;
    default:
      c.fail(`unknown attribute form ${hex(form)}`);
  }
}
