import { InputError, hex } from '../errors.js';
import {
  GNU_PROPERTY_AARCH64_FEATURE_1_AND,
  GNU_PROPERTY_X86_FEATURE_1_AND,
  NT_GNU_BUILD_ID,
  NT_GNU_PROPERTY_TYPE_0,
} from './constants.js';

export interface ElfNote {
  readonly section: string;
  readonly name: string;
  readonly type: number;
  readonly desc: Buffer;
}

/**
 * Splits a SHT_NOTE section into notes. Entries are aligned to the section's alignment:
 * 4 for classic notes, 8 for .note.gnu.property in ELF64. namesz and descsz are 32-bit
 * fields: the arithmetic is done on plain numbers (no 32-bit masks that wrap), every note
 * must fit the section, and each step moves forward.
 */
export function decodeNotes(file: string, section: string, bytes: Buffer, align: number, littleEndian: boolean): ElfNote[] {
  const a = align === 8 ? 8 : 4;
  const pad = (n: number) => Math.ceil(n / a) * a;
  const notes: ElfNote[] = [];
  let off = 0;
  while (off + 12 <= bytes.length) {
    const namesz = littleEndian ? bytes.readUInt32LE(off) : bytes.readUInt32BE(off);
    const descsz = littleEndian ? bytes.readUInt32LE(off + 4) : bytes.readUInt32BE(off + 4);
    const type = littleEndian ? bytes.readUInt32LE(off + 8) : bytes.readUInt32BE(off + 8);
    const nameStart = off + 12;
    // The descriptor starts at the next aligned offset after the name (for 8-byte aligned
    // notes that is 16 for "GNU\0", not 12 + pad8(4)); the next note likewise.
    const descStart = off + pad(12 + namesz);
    const end = descStart + pad(descsz);
    if (nameStart + namesz > bytes.length || descStart + descsz > bytes.length) {
      throw new InputError(file, `note section ${section}: note at offset ${hex(off)} (namesz ${hex(namesz)}, descsz ${hex(descsz)}) runs past the section end (${hex(bytes.length)})`);
    }
    const nameEnd = namesz > 0 && bytes[nameStart + namesz - 1] === 0 ? nameStart + namesz - 1 : nameStart + namesz;
    notes.push({
      section,
      name: bytes.toString('latin1', nameStart, nameEnd),
      type,
      desc: bytes.subarray(descStart, descStart + descsz),
    });
    off = end;
  }
  return notes;
}

export function buildId(notes: readonly ElfNote[]): string | undefined {
  const note = notes.find((n) => n.name === 'GNU' && n.type === NT_GNU_BUILD_ID);
  return note?.desc.toString('hex');
}

export interface GnuProperties {
  /** x86: GNU_PROPERTY_X86_FEATURE_1_AND bits. */
  readonly x86Ibt: boolean;
  readonly x86Shstk: boolean;
  /** AArch64: GNU_PROPERTY_AARCH64_FEATURE_1_AND bits. */
  readonly aarch64Bti: boolean;
  readonly aarch64Pac: boolean;
  /** Every property, type → raw data, for evidence. */
  readonly raw: ReadonlyMap<number, Buffer>;
}

export function gnuProperties(notes: readonly ElfNote[], is64: boolean, littleEndian: boolean): GnuProperties | undefined {
  const note = notes.find((n) => n.name === 'GNU' && n.type === NT_GNU_PROPERTY_TYPE_0);
  if (!note) return undefined;
  const raw = new Map<number, Buffer>();
  const align = is64 ? 8 : 4;
  const d = note.desc;
  let off = 0;
  while (off + 8 <= d.length) {
    const type = littleEndian ? d.readUInt32LE(off) : d.readUInt32BE(off);
    const size = littleEndian ? d.readUInt32LE(off + 4) : d.readUInt32BE(off + 4);
    if (off + 8 + size > d.length) break;
    raw.set(type, d.subarray(off + 8, off + 8 + size));
    off += 8 + ((size + align - 1) & ~(align - 1));
  }
  const bits = (type: number) => {
    const v = raw.get(type);
    if (!v || v.length < 4) return 0;
    return littleEndian ? v.readUInt32LE(0) : v.readUInt32BE(0);
  };
  const x86 = bits(GNU_PROPERTY_X86_FEATURE_1_AND);
  const a64 = bits(GNU_PROPERTY_AARCH64_FEATURE_1_AND);
  return {
    x86Ibt: (x86 & 1) !== 0,
    x86Shstk: (x86 & 2) !== 0,
    aarch64Bti: (a64 & 1) !== 0,
    aarch64Pac: (a64 & 2) !== 0,
    raw,
  };
}
