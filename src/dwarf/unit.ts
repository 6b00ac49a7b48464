import { DW_UT_compile, DW_UT_skeleton, DW_UT_split_compile, DW_UT_split_type, DW_UT_type } from './constants.js';
import { Cursor } from './reader.js';

export type InfoSection = '.debug_info' | '.debug_types';

export interface UnitHeader {
  readonly section: InfoSection;
  /** Offset of the unit header in its section. */
  readonly offset: number;
  /** Offset one past the unit's last byte. */
  readonly end: number;
  readonly offsetSize: 4 | 8;
  readonly version: number;
  readonly unitType: number;
  readonly addressSize: number;
  readonly abbrevOffset: number;
  readonly typeSignature: bigint | undefined;
  /** Type units: offset of the type's DIE, relative to the unit. */
  readonly typeOffset: number | undefined;
  readonly dwoId: bigint | undefined;
  /** Section offset of the unit's first DIE. */
  readonly firstDieOffset: number;
}

/** The initial length field: 4 bytes, or 0xffffffff + 8 bytes for 64-bit DWARF. */
export function readInitialLength(c: Cursor): { length: number; offsetSize: 4 | 8 } {
  const first = c.u32();
  if (first === 0xffffffff) return { length: c.u64Number('unit length'), offsetSize: 8 };
  if (first >= 0xfffffff0) c.fail(`reserved unit length ${first.toString(16)}`);
  return { length: first, offsetSize: 4 };
}

/** How many bytes the fixed part of a unit header can take (64-bit DWARF 5 type unit). */
export const MAX_UNIT_HEADER = 4 + 8 + 2 + 1 + 1 + 8 + 8 + 8;

/**
 * Decodes the header of the unit at `c.pos` (DWARF 2-5, .debug_info or .debug_types).
 * `c` must hold at least the header; `sectionSize` bounds the unit.
 */
export function readUnitHeader(c: Cursor, section: InfoSection, sectionSize: number): UnitHeader {
  const start = c.base + c.pos;
  const { length, offsetSize } = readInitialLength(c);
  const end = c.base + c.pos + length;
  if (end > sectionSize) c.fail(`unit at ${start.toString(16)} claims ${length} bytes, past the section end`, start - c.base);
  const version = c.u16();
  if (version < 2 || version > 5) c.fail(`unsupported DWARF version ${version}`, start - c.base);
  let unitType: number = section === '.debug_types' ? DW_UT_type : DW_UT_compile;
  let addressSize: number;
  let abbrevOffset: number;
  let typeSignature: bigint | undefined;
  let typeOffset: number | undefined;
  let dwoId: bigint | undefined;
  if (version >= 5) {
    unitType = c.u8();
    addressSize = c.u8();
    abbrevOffset = c.offset(offsetSize, 'abbreviation offset');
    if (unitType === DW_UT_skeleton || unitType === DW_UT_split_compile) dwoId = c.u64();
    else if (unitType === DW_UT_type || unitType === DW_UT_split_type) {
      typeSignature = c.u64();
      typeOffset = c.offset(offsetSize, 'type offset');
    }
  } else {
    abbrevOffset = c.offset(offsetSize, 'abbreviation offset');
    addressSize = c.u8();
    if (section === '.debug_types') {
      typeSignature = c.u64();
      typeOffset = c.offset(offsetSize, 'type offset');
    }
  }
  if (addressSize !== 1 && addressSize !== 2 && addressSize !== 4 && addressSize !== 8) {
    c.fail(`unsupported address size ${addressSize}`, start - c.base);
  }
  const firstDieOffset = c.base + c.pos;
  if (firstDieOffset > end) c.fail('unit header longer than the unit', start - c.base);
  return {
    section,
    offset: start,
    end,
    offsetSize,
    version,
    unitType,
    addressSize,
    abbrevOffset,
    typeSignature,
    typeOffset,
    dwoId,
    firstDieOffset,
  };
}
