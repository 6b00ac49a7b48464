import { Cursor } from './reader.js';
import { readInitialLength } from './unit.js';

/** One .debug_aranges entry: [start, end) belongs to the unit at `unitOffset` of .debug_info. */
export interface AddressRange {
  readonly start: bigint;
  readonly end: bigint;
  readonly unitOffset: number;
}

/** Sorted address → unit lookup built from .debug_aranges. */
export class AddressRanges {
  private constructor(private readonly ranges: readonly AddressRange[]) {}

  static parse(buf: Buffer, littleEndian: boolean, file: string): AddressRanges {
    const c = new Cursor(buf, 0, littleEndian, file, '.debug_aranges');
    const ranges: AddressRange[] = [];
    while (c.pos < buf.length) {
      const setStart = c.pos;
      const { length, offsetSize } = readInitialLength(c);
      const setEnd = c.pos + length;
      if (setEnd > buf.length) c.fail('address range set runs past the section end', setStart);
      const version = c.u16();
      if (version !== 2) c.fail(`unsupported .debug_aranges version ${version}`, setStart);
      const unitOffset = c.offset(offsetSize);
      const addressSize = c.u8();
      const segmentSize = c.u8();
      if (segmentSize !== 0) c.fail('segmented addresses are not supported', setStart);
      // Tuples start at a multiple of twice the address size from the set's start.
      const tupleSize = addressSize * 2;
      const rel = c.pos - setStart;
      c.pos += (tupleSize - (rel % tupleSize)) % tupleSize;
      while (c.pos + tupleSize <= setEnd) {
        const start = c.address(addressSize);
        const len = c.address(addressSize);
        if (start === 0n && len === 0n) break;
        if (len > 0n) ranges.push({ start, end: start + len, unitOffset });
      }
      c.pos = setEnd;
    }
    ranges.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    return new AddressRanges(ranges);
  }

  get size(): number {
    return this.ranges.length;
  }

  /** The unit whose code contains `address`, or undefined. */
  unitFor(address: bigint): number | undefined {
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.ranges[mid]!;
      if (address < r.start) hi = mid - 1;
      else if (address >= r.end) lo = mid + 1;
      else return r.unitOffset;
    }
    return undefined;
  }

  rangesOf(unitOffset: number): AddressRange[] {
    return this.ranges.filter((r) => r.unitOffset === unitOffset);
  }
}
