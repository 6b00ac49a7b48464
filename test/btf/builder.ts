/**
 * Writes BTF blobs for tests: hostile records, byte orders, split and distilled bases that
 * the corpus does not have. Ids are handed out in order (the first own type gets `startId`),
 * so a record may refer forward by number. Independent of src/btf: only the format.
 */

const KIND: Record<string, number> = {
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
};

export interface BaseShape {
  /** The base's type count (void included): the first own id. */
  readonly typeCount: number;
  /** The base's total string length: the first own string offset. */
  readonly stringLength: number;
}

export class BtfBuilder {
  private readonly words: number[][] = [];
  private readonly strings: string[] = [];
  private stringBytes = 0;
  private readonly offsets = new Map<string, number>();
  readonly startId: number;
  private readonly strStart: number;

  constructor(private readonly base?: BaseShape & { lookup?: (s: string) => number | undefined }) {
    this.startId = base ? base.typeCount : 1;
    this.strStart = base ? base.stringLength : 0;
    if (!base) this.str('');
  }

  /** The offset of `s`, added once (a base's strings first when the base knows it). */
  str(s: string): number {
    if (s === '' && this.base) return 0;
    const fromBase = this.base?.lookup?.(s);
    if (fromBase !== undefined) return fromBase;
    const known = this.offsets.get(s);
    if (known !== undefined) return known;
    const off = this.strStart + this.stringBytes;
    this.offsets.set(s, off);
    this.strings.push(s);
    this.stringBytes += Buffer.byteLength(s) + 1;
    return off;
  }

  get nextId(): number {
    return this.startId + this.words.length;
  }

  /** A record from raw words: name offset, info, size/type, then the rest. */
  raw(words: number[]): number {
    this.words.push(words.map((w) => w >>> 0));
    return this.nextId - 1;
  }

  private rec(kind: string, name: string, vlen: number, sizeOrType: number, rest: number[] = [], kindFlag = false): number {
    const info = ((kindFlag ? 1 : 0) << 31) | (KIND[kind]! << 24) | (vlen & 0xffff);
    return this.raw([this.str(name), info, sizeOrType, ...rest]);
  }

  int(name: string, size: number, encoding = 0, bits = size * 8, offset = 0): number {
    return this.rec('INT', name, 0, size, [(encoding << 24) | (offset << 16) | bits]);
  }
  float(name: string, size: number): number {
    return this.rec('FLOAT', name, 0, size);
  }
  ptr(type: number): number {
    return this.rec('PTR', '', 0, type);
  }
  typedef(name: string, type: number): number {
    return this.rec('TYPEDEF', name, 0, type);
  }
  qualifier(kind: 'CONST' | 'VOLATILE' | 'RESTRICT', type: number): number {
    return this.rec(kind, '', 0, type);
  }
  typeTag(name: string, type: number): number {
    return this.rec('TYPE_TAG', name, 0, type);
  }
  array(element: number, index: number, nelems: number): number {
    return this.rec('ARRAY', '', 0, 0, [element, index, nelems]);
  }
  /** Members: [name, type, bitOffset, bitfieldSize]; a bitfield size sets kind_flag. */
  composite(kind: 'STRUCT' | 'UNION', name: string, size: number, members: [string, number, number, number?][], kindFlag?: boolean): number {
    const flag = kindFlag ?? members.some((m) => m[3] !== undefined);
    const rest = members.flatMap(([n, t, off, bits]) => [this.str(n), t, flag ? ((bits ?? 0) << 24) | off : off]);
    return this.rec(kind, name, members.length, size, rest, flag);
  }
  struct(name: string, size: number, members: [string, number, number, number?][], kindFlag?: boolean): number {
    return this.composite('STRUCT', name, size, members, kindFlag);
  }
  union(name: string, size: number, members: [string, number, number, number?][]): number {
    return this.composite('UNION', name, size, members);
  }
  enum(name: string, size: number, values: [string, number][], signed = false): number {
    return this.rec('ENUM', name, values.length, size, values.flatMap(([n, v]) => [this.str(n), v]), signed);
  }
  enum64(name: string, size: number, values: [string, bigint][], signed = false): number {
    const rest = values.flatMap(([n, v]) => {
      const u = BigInt.asUintN(64, v);
      return [this.str(n), Number(u & 0xffffffffn), Number(u >> 32n)];
    });
    return this.rec('ENUM64', name, values.length, size, rest, signed);
  }
  fwd(name: string, union = false): number {
    return this.rec('FWD', name, 0, 0, [], union);
  }
  func(name: string, proto: number, linkage = 0): number {
    return this.rec('FUNC', name, linkage, proto);
  }
  /** Params: [name, type]; ['', 0] last for "...". */
  proto(returns: number, params: [string, number][]): number {
    return this.rec('FUNC_PROTO', '', params.length, returns, params.flatMap(([n, t]) => [this.str(n), t]));
  }
  variable(name: string, type: number, linkage = 0): number {
    return this.rec('VAR', name, 0, type, [linkage]);
  }
  datasec(name: string, size: number, vars: [number, number, number][]): number {
    return this.rec('DATASEC', name, vars.length, size, vars.flat());
  }
  declTag(name: string, type: number, componentIdx = -1): number {
    return this.rec('DECL_TAG', name, 0, type, [componentIdx]);
  }

  /** The BTF data. `hdrLen` above 24 pads the header with `extraHeader` (zeros by default). */
  build(options: { littleEndian?: boolean; hdrLen?: number; extraHeader?: Buffer } = {}): Buffer {
    const le = options.littleEndian ?? true;
    const hdrLen = options.hdrLen ?? 24;
    const types = this.words.flat();
    const typeLen = types.length * 4;
    const strings = Buffer.from(this.strings.map((s) => `${s}\0`).join(''), 'utf8');
    const out = Buffer.alloc(hdrLen + typeLen + strings.length);
    const w32 = (off: number, v: number): number => (le ? out.writeUInt32LE(v >>> 0, off) : out.writeUInt32BE(v >>> 0, off));
    if (le) out.writeUInt16LE(0xeb9f, 0);
    else out.writeUInt16BE(0xeb9f, 0);
    out[2] = 1;
    out[3] = 0;
    w32(4, hdrLen);
    w32(8, 0);
    w32(12, typeLen);
    w32(16, typeLen);
    w32(20, strings.length);
    if (options.extraHeader) options.extraHeader.copy(out, 24);
    types.forEach((w, i) => w32(hdrLen + i * 4, w));
    strings.copy(out, hdrLen + typeLen);
    return out;
  }
}

/**
 * The same BTF in the other byte order. Every field after the 24-byte header's magic is a
 * 32-bit word (ENUM64 values are two words, low then high, each in the producer's order),
 * so swapping means: the magic, the header words, every word of the type section.
 */
export function swapByteOrder(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  const le = bytes.readUInt16LE(0) === 0xeb9f;
  const r32 = (b: Buffer, off: number): number => (le ? b.readUInt32LE(off) : b.readUInt32BE(off));
  const w32 = (off: number, v: number): number => (le ? out.writeUInt32BE(v, off) : out.writeUInt32LE(v, off));
  if (le) out.writeUInt16BE(0xeb9f, 0);
  else out.writeUInt16LE(0xeb9f, 0);
  const hdrLen = r32(bytes, 4);
  for (let off = 4; off < 24; off += 4) w32(off, r32(bytes, off));
  const typesStart = hdrLen + r32(bytes, 8);
  const typeLen = r32(bytes, 12);
  for (let off = typesStart; off < typesStart + typeLen; off += 4) w32(off, r32(bytes, off));
  return out;
}
