import { EM_386, EM_AARCH64, EM_X86_64 } from './constants.js';

/**
 * What a static linker writes into a relocated field, per relocation type: the field's
 * place and width, how to read an implicit (REL) addend out of it, and the bytes it holds
 * once the symbol's final address S, the addend A and the field's own address P are known.
 * From the x86-64 and i386 System V psABIs and Arm's ELF for the Arm 64-bit Architecture.
 *
 * Only the types a kernel object links with (no GOT, PLT or TLS: the kernel is linked
 * without them) are known; any other type is `undefined`, and a caller must say the field
 * could not be computed rather than pass it.
 */
export interface FieldRule {
  /** Bytes the field occupies at r_offset. */
  readonly width: number;
  /** The implicit addend of a REL entry, read from the unrelocated field. */
  implicitAddend(field: Buffer, littleEndian: boolean): bigint;
  /**
   * The field as the linker leaves it: `original` (the unrelocated bytes, needed where the
   * value is inserted into an instruction's bit field) with S + A (- P) written in.
   */
  write(original: Buffer, value: FieldValue, littleEndian: boolean): Buffer;
  /**
   * S from a linked field, its addend and address: for whole data fields that keep the full
   * address (64-bit, sign-extended 32-bit, PC-relative); absent where the field loses bits.
   */
  readonly invert?: (field: Buffer, a: bigint, p: bigint, littleEndian: boolean) => bigint;
  /**
   * An AArch64 address split over two instructions (ADRP for the 4 KiB page, an ADD or a
   * load/store for the low 12 bits): which half this field holds, and that half read back
   * from the linked instruction. The two halves of one symbol + addend make the address.
   */
  readonly part?: { readonly half: 'page' | 'low12'; readonly read: (field: Buffer, p: bigint) => bigint };
}

export interface FieldValue {
  /** S: the symbol's final address. */
  readonly s: bigint;
  /** A: the addend. */
  readonly a: bigint;
  /** P: the field's final address. */
  readonly p: bigint;
}

const MASK64 = (1n << 64n) - 1n;

function readUnsigned(b: Buffer, width: number, le: boolean): bigint {
  let v = 0n;
  for (let i = 0; i < width; i++) v |= BigInt(b[le ? i : width - 1 - i]!) << BigInt(8 * i);
  return v;
}

function writeUnsigned(value: bigint, width: number, le: boolean): Buffer {
  const out = Buffer.alloc(width);
  let v = value & ((1n << BigInt(8 * width)) - 1n);
  for (let i = 0; i < width; i++) {
    out[le ? i : width - 1 - i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/**
 * A whole little- or big-endian data field: absolute (S + A) or PC-relative (S + A - P);
 * `signed`: the value is sign-extended when the CPU reads it (x86-64 32S, PC-relative).
 */
function dataField(width: number, pcRelative: boolean, signed = pcRelative, addressBits = 64): FieldRule {
  const keepsAddress = 8 * width >= addressBits || signed;
  return {
    width,
    implicitAddend: (field, le) => BigInt.asIntN(8 * width, readUnsigned(field, width, le)),
    write: (_original, v, le) => writeUnsigned((v.s + v.a - (pcRelative ? v.p : 0n)) & MASK64, width, le),
    ...(keepsAddress && {
      invert: (field: Buffer, a: bigint, p: bigint, le: boolean) => {
        const raw = readUnsigned(field, width, le);
        const v = signed ? BigInt.asIntN(8 * width, raw) : raw;
        return BigInt.asUintN(addressBits, v - a + (pcRelative ? p : 0n));
      },
    }),
  };
}

/**
 * An AArch64 instruction field: `compute` gives the field value from S, A and P, which is
 * shifted to bit `lsb` over `bits` bits of the 32-bit little-endian instruction word (kernel
 * AArch64 code is little-endian even on a big-endian data build).
 */
function instructionField(compute: (v: FieldValue) => bigint, insert: (word: number, x: bigint) => number): FieldRule {
  return {
    width: 4,
    implicitAddend: () => 0n,
    write: (original, v) => {
      const word = original.readUInt32LE(0);
      const out = Buffer.alloc(4);
      out.writeUInt32LE(insert(word, compute(v)) >>> 0, 0);
      return out;
    },
  };
}

function bitsAt(lsb: number, bits: number): (word: number, x: bigint) => number {
  const mask = ((1 << bits) - 1) >>> 0;
  return (word, x) => ((word & ~(mask << lsb)) | ((Number(x & BigInt(mask)) & mask) << lsb)) >>> 0;
}

const page = (x: bigint): bigint => x & ~0xfffn;

/** ADRP/ADR: immlo in bits 29-30, immhi in bits 5-23. */
function adrImmediate(word: number, x: bigint): number {
  const imm = Number(x & 0x1fffffn);
  return ((word & ~((0x3 << 29) | (0x7ffff << 5))) | ((imm & 0x3) << 29) | (((imm >> 2) & 0x7ffff) << 5)) >>> 0;
}

/** The low 12 bits of an address from an ADD or load/store immediate (bits 10-21), scaled by the access size. */
function low12(shift: bigint): NonNullable<FieldRule['part']> {
  return { half: 'low12', read: (field) => BigInt((field.readUInt32LE(0) >>> 10) & 0xfff) << shift };
}

/** The page an ADRP addresses: its own page plus the signed 21-bit immediate in pages. */
const adrpPage: NonNullable<FieldRule['part']> = {
  half: 'page',
  read: (field, p) => {
    const word = field.readUInt32LE(0);
    const imm = BigInt.asIntN(21, BigInt((((word >>> 5) & 0x7ffff) << 2) | ((word >>> 29) & 0x3)));
    return BigInt.asUintN(64, page(p) + (imm << 12n));
  },
};

/** A load/store's unsigned 12-bit offset, scaled by the access size (bits 10-21). */
function ldstLo12(shift: bigint): FieldRule {
  return { ...instructionField((v) => ((v.s + v.a) & 0xfffn) >> shift, bitsAt(10, 12)), part: low12(shift) };
}

const X86_64: Readonly<Record<number, FieldRule>> = {
  1: dataField(8, false), // R_X86_64_64
  2: dataField(4, true), // R_X86_64_PC32
  4: dataField(4, true), // R_X86_64_PLT32: no PLT in the kernel, a plain PC-relative call
  10: dataField(4, false), // R_X86_64_32
  11: dataField(4, false, true), // R_X86_64_32S
  12: dataField(2, false), // R_X86_64_16
  13: dataField(2, true), // R_X86_64_PC16
  14: dataField(1, false), // R_X86_64_8
  15: dataField(1, true), // R_X86_64_PC8
  24: dataField(8, true), // R_X86_64_PC64
};

// i386 addresses are 32 bits: a 32-bit field keeps the whole address.
const I386: Readonly<Record<number, FieldRule>> = {
  1: dataField(4, false, false, 32), // R_386_32
  2: dataField(4, true, true, 32), // R_386_PC32
  4: dataField(4, true, true, 32), // R_386_PLT32
  20: dataField(2, false, false, 32), // R_386_16
  21: dataField(2, true, true, 32), // R_386_PC16
  22: dataField(1, false, false, 32), // R_386_8
  23: dataField(1, true, true, 32), // R_386_PC8
};

const AARCH64: Readonly<Record<number, FieldRule>> = {
  257: dataField(8, false), // R_AARCH64_ABS64
  258: dataField(4, false), // R_AARCH64_ABS32
  259: dataField(2, false), // R_AARCH64_ABS16
  260: dataField(8, true), // R_AARCH64_PREL64
  261: dataField(4, true), // R_AARCH64_PREL32
  262: dataField(2, true), // R_AARCH64_PREL16
  273: instructionField((v) => (v.s + v.a - v.p) >> 2n, bitsAt(5, 19)), // R_AARCH64_LD_PREL_LO19
  274: instructionField((v) => v.s + v.a - v.p, adrImmediate), // R_AARCH64_ADR_PREL_LO21
  275: { ...instructionField((v) => (page(v.s + v.a) - page(v.p)) >> 12n, adrImmediate), part: adrpPage }, // R_AARCH64_ADR_PREL_PG_HI21
  276: { ...instructionField((v) => (page(v.s + v.a) - page(v.p)) >> 12n, adrImmediate), part: adrpPage }, // R_AARCH64_ADR_PREL_PG_HI21_NC
  277: { ...instructionField((v) => (v.s + v.a) & 0xfffn, bitsAt(10, 12)), part: low12(0n) }, // R_AARCH64_ADD_ABS_LO12_NC
  278: ldstLo12(0n), // R_AARCH64_LDST8_ABS_LO12_NC
  279: instructionField((v) => (v.s + v.a - v.p) >> 2n, bitsAt(5, 14)), // R_AARCH64_TSTBR14
  280: instructionField((v) => (v.s + v.a - v.p) >> 2n, bitsAt(5, 19)), // R_AARCH64_CONDBR19
  282: instructionField((v) => (v.s + v.a - v.p) >> 2n, bitsAt(0, 26)), // R_AARCH64_JUMP26
  283: instructionField((v) => (v.s + v.a - v.p) >> 2n, bitsAt(0, 26)), // R_AARCH64_CALL26
  284: ldstLo12(1n), // R_AARCH64_LDST16_ABS_LO12_NC
  285: ldstLo12(2n), // R_AARCH64_LDST32_ABS_LO12_NC
  286: ldstLo12(3n), // R_AARCH64_LDST64_ABS_LO12_NC
  299: ldstLo12(4n), // R_AARCH64_LDST128_ABS_LO12_NC
};

/** The field rule of relocation `type` on `machine`; undefined for a type a kernel link does not resolve this way. */
export function fieldRule(machine: number, type: number): FieldRule | undefined {
  const table = machine === EM_X86_64 ? X86_64 : machine === EM_386 ? I386 : machine === EM_AARCH64 ? AARCH64 : undefined;
  return table?.[type];
}

/** Whether relocation `type` is R_*_NONE (writes nothing). */
export function isNoneRelocation(type: number): boolean {
  return type === 0;
}
