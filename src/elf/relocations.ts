import { InputError } from '../errors.js';
import { EM_386, EM_AARCH64, EM_X86_64 } from './constants.js';
import { AARCH64_RELOCATIONS, I386_RELOCATIONS, X86_64_RELOCATIONS } from './relocation-types.js';

export interface Relocation {
  /** r_offset: section offset in relocatable files, virtual address in linked ones. */
  readonly offset: bigint;
  readonly type: number;
  readonly symbolIndex: number;
  /** Explicit addend for RELA; undefined for REL, whose addend sits in the relocated bytes. */
  readonly addend: bigint | undefined;
}

export function relocationTypeName(machine: number, type: number): string {
  const table =
    machine === EM_X86_64 ? X86_64_RELOCATIONS : machine === EM_386 ? I386_RELOCATIONS : machine === EM_AARCH64 ? AARCH64_RELOCATIONS : undefined;
  return table?.[type] ?? `type ${type}`;
}

/**
 * One SHT_RELA or SHT_REL section, decoded on demand. vmlinux keeps ~400,000 text
 * relocations (it is linked with --emit-relocs); scans over them read the packed entries
 * directly (symbolIndexAt/offsetAt) instead of building an object per entry.
 */
export class RelocationTable implements Iterable<Relocation> {
  readonly count: number;
  private readonly entSize: number;

  constructor(
    readonly file: string,
    /** Index of the section the relocations apply to (sh_info). */
    readonly targetSection: number,
    private readonly bytes: Buffer,
    private readonly is64: boolean,
    private readonly littleEndian: boolean,
    readonly withAddends: boolean,
  ) {
    this.entSize = (is64 ? 8 : 4) * (withAddends ? 3 : 2);
    if (bytes.length % this.entSize !== 0) {
      throw new InputError(file, `relocation section size ${bytes.length} is not a multiple of ${this.entSize}`);
    }
    this.count = bytes.length / this.entSize;
  }

  private word(offset: number): bigint {
    const b = this.bytes;
    if (this.is64) return this.littleEndian ? b.readBigUInt64LE(offset) : b.readBigUInt64BE(offset);
    return BigInt(this.littleEndian ? b.readUInt32LE(offset) : b.readUInt32BE(offset));
  }

  private u32(offset: number): number {
    return this.littleEndian ? this.bytes.readUInt32LE(offset) : this.bytes.readUInt32BE(offset);
  }

  offsetAt(i: number): bigint {
    return this.word(i * this.entSize);
  }

  symbolIndexAt(i: number): number {
    const infoOffset = i * this.entSize + (this.is64 ? 8 : 4);
    if (this.is64) return this.u32(infoOffset + (this.littleEndian ? 4 : 0));
    return this.u32(infoOffset) >>> 8;
  }

  typeAt(i: number): number {
    const infoOffset = i * this.entSize + (this.is64 ? 8 : 4);
    if (this.is64) return this.u32(infoOffset + (this.littleEndian ? 0 : 4));
    return this.u32(infoOffset) & 0xff;
  }

  addendAt(i: number): bigint | undefined {
    if (!this.withAddends) return undefined;
    const raw = this.word(i * this.entSize + (this.is64 ? 16 : 8));
    return this.is64 ? BigInt.asIntN(64, raw) : BigInt.asIntN(32, raw);
  }

  at(i: number): Relocation {
    return { offset: this.offsetAt(i), type: this.typeAt(i), symbolIndex: this.symbolIndexAt(i), addend: this.addendAt(i) };
  }

  *[Symbol.iterator](): Iterator<Relocation> {
    for (let i = 0; i < this.count; i++) yield this.at(i);
  }
}
