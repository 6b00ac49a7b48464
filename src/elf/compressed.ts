import { createRequire } from 'node:module';
import { inflateSync } from 'node:zlib';
import { InputError, hex } from '../errors.js';
import { ELFCOMPRESS_ZLIB, ELFCOMPRESS_ZSTD } from './constants.js';

// Loaded on first use: most kernels compress nothing, and every check pays for its imports.
let fzstd: typeof import('fzstd') | undefined;
const zstd = () => (fzstd ??= createRequire(import.meta.url)('fzstd') as typeof import('fzstd'));

/** Largest decompressed section we accept; .debug_info of a distribution vmlinux is ~220 MB. */
const MAX_DECOMPRESSED = 2 ** 31 - 1;

/**
 * Decompresses an SHF_COMPRESSED section (Elf_Chdr + payload, zlib or zstd), or a legacy GNU
 * `.zdebug_*` section ("ZLIB" + 8-byte big-endian size). Node 20's zlib has no zstd, hence
 * fzstd. The declared size is checked against what came out.
 */
export function decompressSection(
  file: string,
  sectionName: string,
  raw: Buffer,
  is64: boolean,
  littleEndian: boolean,
): Buffer {
  const headerSize = is64 ? 24 : 12;
  if (raw.length < headerSize) {
    throw new InputError(file, `section ${sectionName}: compressed but shorter than its compression header`);
  }
  const u32 = (o: number) => (littleEndian ? raw.readUInt32LE(o) : raw.readUInt32BE(o));
  const u64 = (o: number) => (littleEndian ? raw.readBigUInt64LE(o) : raw.readBigUInt64BE(o));
  const type = u32(0);
  const declared = is64 ? u64(8) : BigInt(u32(4));
  if (declared > BigInt(MAX_DECOMPRESSED)) {
    throw new InputError(file, `section ${sectionName}: implausible decompressed size ${hex(declared)}`);
  }
  const payload = raw.subarray(headerSize);
  return inflateChecked(file, sectionName, type, payload, Number(declared));
}

export function decompressLegacyZdebug(file: string, sectionName: string, raw: Buffer): Buffer {
  if (raw.length < 12 || raw.toString('latin1', 0, 4) !== 'ZLIB') {
    throw new InputError(file, `section ${sectionName}: not a valid .zdebug section`);
  }
  const declared = raw.readBigUInt64BE(4);
  if (declared > BigInt(MAX_DECOMPRESSED)) {
    throw new InputError(file, `section ${sectionName}: implausible decompressed size ${hex(declared)}`);
  }
  return inflateChecked(file, sectionName, ELFCOMPRESS_ZLIB, raw.subarray(12), Number(declared));
}

function inflateChecked(file: string, sectionName: string, type: number, payload: Buffer, declared: number): Buffer {
  let out: Buffer;
  try {
    if (type === ELFCOMPRESS_ZLIB) {
      out = inflateSync(payload, { maxOutputLength: Math.max(declared, 1) });
    } else if (type === ELFCOMPRESS_ZSTD) {
      out = Buffer.from(zstd().decompress(payload, new Uint8Array(declared)));
    } else {
      throw new InputError(file, `section ${sectionName}: unknown compression type ${type}`);
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(file, `section ${sectionName}: corrupt compressed data (${(err as Error).message})`);
  }
  if (out.length !== declared) {
    throw new InputError(
      file,
      `section ${sectionName}: decompressed to ${out.length} bytes, header says ${declared}`,
    );
  }
  return out;
}
