import { InputError, hex } from '../errors.js';
import { BTF_HEADER_SIZE, BTF_MAGIC, BTF_VERSION } from './constants.js';

/**
 * The BTF header (struct btf_header): magic, version, flags, hdr_len, then the type and
 * string sections as offsets from the end of the header. BTF is written in the producer's
 * byte order; the magic tells which (0xeB9F read back as 0x9FeB means the other order).
 */
export interface BtfHeader {
  readonly littleEndian: boolean;
  readonly version: number;
  readonly flags: number;
  readonly hdrLen: number;
  readonly typeOff: number;
  readonly typeLen: number;
  readonly strOff: number;
  readonly strLen: number;
  /** Header bytes past the 24 this reader knows (fields of a newer producer), not decoded. */
  readonly extra: Buffer;
  /** Offsets of the type and string sections from the start of the BTF data. */
  readonly typesStart: number;
  readonly stringsStart: number;
}

/** Where in the BTF data a problem is, as messages print it: ".BTF+0x1c". */
export function at(section: string, offset: number): string {
  return `${section}+${hex(offset)}`;
}

export function readHeader(bytes: Buffer, file: string, section: string): BtfHeader {
  const fail = (what: string, offset: number, problem: string): never => {
    throw new InputError(file, `${what} at ${at(section, offset)}: ${problem}`);
  };
  if (bytes.length < BTF_HEADER_SIZE) {
    fail('BTF header', 0, `${bytes.length} bytes of data, shorter than the ${BTF_HEADER_SIZE}-byte header`);
  }
  const magicLE = bytes.readUInt16LE(0);
  let littleEndian: boolean;
  if (magicLE === BTF_MAGIC) littleEndian = true;
  else if (bytes.readUInt16BE(0) === BTF_MAGIC) littleEndian = false;
  else return fail('BTF magic', 0, `${hex(magicLE)} is neither 0xeb9f (little-endian) nor 0x9feb (big-endian)`);
  const u32 = (off: number): number => (littleEndian ? bytes.readUInt32LE(off) : bytes.readUInt32BE(off));
  const version = bytes[2]!;
  if (version !== BTF_VERSION) fail('BTF version', 2, `version ${version}, this reader knows version ${BTF_VERSION}`);
  const flags = bytes[3]!;
  const hdrLen = u32(4);
  if (hdrLen < BTF_HEADER_SIZE) fail('BTF hdr_len', 4, `${hdrLen} is shorter than the ${BTF_HEADER_SIZE}-byte header`);
  if (hdrLen > bytes.length) fail('BTF hdr_len', 4, `${hdrLen} runs past the end of the data (${bytes.length} bytes)`);
  const typeOff = u32(8);
  const typeLen = u32(12);
  const strOff = u32(16);
  const strLen = u32(20);
  const body = bytes.length - hdrLen;
  if (typeOff % 4 !== 0) fail('BTF type_off', 8, `${hex(typeOff)} is not 4-byte aligned`);
  if (typeOff + typeLen > body) {
    fail('BTF type section', 12, `type_off ${hex(typeOff)} + type_len ${hex(typeLen)} runs past the end of the data (${hex(body)} bytes after the header)`);
  }
  if (strOff + strLen > body) {
    fail('BTF string section', 20, `str_off ${hex(strOff)} + str_len ${hex(strLen)} runs past the end of the data (${hex(body)} bytes after the header)`);
  }
  if (typeOff + typeLen > strOff) {
    fail('BTF string section', 16, `str_off ${hex(strOff)} overlaps the type section (${hex(typeOff)}+${hex(typeLen)})`);
  }
  return {
    littleEndian,
    version,
    flags,
    hdrLen,
    typeOff,
    typeLen,
    strOff,
    strLen,
    extra: bytes.subarray(BTF_HEADER_SIZE, hdrLen),
    typesStart: hdrLen + typeOff,
    stringsStart: hdrLen + strOff,
  };
}
