import { decompressWithTool } from '../decompress-tool.js';
import { inflateBounded } from '../inflate.js';
import { InputError, hex } from '../errors.js';
import { LIMITS, overLimit } from '../limits.js';
import { ELFCOMPRESS_ZLIB, ELFCOMPRESS_ZSTD } from './constants.js';

/**
 * The most one compressed byte can become. A zstd RLE block turns 4 bytes (3 of header, 1
 * repeated) into 128 KiB, 32768-fold, the best zstd can do; deflate stops at 1032-fold.
 * A header that claims more than its payload could hold lies, and is refused before anything
 * is allocated for it.
 */
const ZSTD_MAX_RATIO = 32768;
/** A window any zstd encoder may use whatever the content size (libzstd's default for small inputs is far below). */
const ZSTD_SMALL_WINDOW = 8 * 1024 * 1024;

/**
 * Decompresses an SHF_COMPRESSED section (Elf_Chdr + payload, zlib or zstd), or a legacy GNU
 * `.zdebug_*` section ("ZLIB" + 8-byte big-endian size); zstd through the zstd tool (Node 20's
 * zlib has none: src/decompress-tool.ts). The output is bounded by the declared size
 * (ch_size): nothing is allocated for it up front, a stream that runs longer stops there, and
 * one that ends shorter is refused — each error says which header field disagrees with the data.
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
  if (declared > BigInt(LIMITS.DECOMPRESSED_SECTION_SIZE.value)) {
    throw new InputError(file, `section ${sectionName}: ${overLimit(LIMITS.DECOMPRESSED_SECTION_SIZE, 'ch_size (the decompressed size its header declares)', declared)}`);
  }
  const payload = raw.subarray(headerSize);
  return inflateChecked(file, sectionName, type, payload, Number(declared), 'ch_size');
}

export function decompressLegacyZdebug(file: string, sectionName: string, raw: Buffer): Buffer {
  if (raw.length < 12 || raw.toString('latin1', 0, 4) !== 'ZLIB') {
    throw new InputError(file, `section ${sectionName}: not a valid .zdebug section`);
  }
  const declared = raw.readBigUInt64BE(4);
  if (declared > BigInt(LIMITS.DECOMPRESSED_SECTION_SIZE.value)) {
    throw new InputError(file, `section ${sectionName}: ${overLimit(LIMITS.DECOMPRESSED_SECTION_SIZE, 'the decompressed size its ZLIB header declares', declared)}`);
  }
  return inflateChecked(file, sectionName, ELFCOMPRESS_ZLIB, raw.subarray(12), Number(declared), 'the ZLIB header size');
}

function inflateChecked(file: string, sectionName: string, type: number, payload: Buffer, declared: number, field: string): Buffer {
  const fail = (problem: string): never => {
    throw new InputError(file, `section ${sectionName}: ${problem}`);
  };
  let out: Buffer;
  if (type === ELFCOMPRESS_ZLIB) {
    out = unzlib(payload, declared, field, fail);
  } else if (type === ELFCOMPRESS_ZSTD) {
    out = unzstd(payload, declared, field, fail);
  } else {
    return fail(`unknown compression type ${type}`);
  }
  if (out.length !== declared) fail(`${field} says ${declared} bytes, the compressed data holds ${out.length}`);
  return out;
}

/** A zlib stream decoded in-process (src/inflate.ts: not node:zlib), stopped past the declared size. */
function unzlib(payload: Buffer, declared: number, field: string, fail: (problem: string) => never): Buffer {
  const outcome = inflateBounded('zlib', payload, declared);
  if (outcome.ok) return outcome.bytes;
  if (outcome.problem === 'too-long') return fail(`the zlib stream decompresses to more than ${field} says (${declared} bytes)`);
  return fail(`corrupt zlib data (${outcome.said})`);
}

function unzstd(payload: Buffer, declared: number, field: string, fail: (problem: string) => never): Buffer {
  if (declared > payload.length * ZSTD_MAX_RATIO) {
    fail(`${field} says ${declared} bytes, more than ${payload.length} bytes of zstd data can hold (at most ${ZSTD_MAX_RATIO}-fold)`);
  }
  checkZstdFrame(payload, declared, field, fail);
  // The tool's default memory bound is a 128 MiB window; ours is what checkZstdFrame allows.
  const outcome = decompressWithTool('zstd', payload, declared, [`--memory=${zstdWindowBound(declared)}`]);
  if (outcome.ok) return outcome.bytes;
  if (outcome.problem === 'missing') fail(`zstd-compressed: ${outcome.said}`);
  if (outcome.problem === 'too-long') fail(`the zstd stream decompresses to more than ${field} says (${declared} bytes)`);
  return fail(`corrupt zstd data (${outcome.said})`);
}

/** The largest window a section of `declared` bytes could need, whatever encoder made it. */
function zstdWindowBound(declared: number): number {
  return Math.min(Math.max(2 * declared, ZSTD_SMALL_WINDOW), 2145386496);
}

/**
 * Reads the first zstd frame's header before decompressing (skippable frames are stepped
 * over): the content size it declares must not exceed ch_size, and the window the decoder
 * will allocate must be one a section of ch_size bytes could need. ld, objcopy and the
 * kernel write one frame per section; later frames are left to the decoder and the size
 * check after it.
 */
function checkZstdFrame(data: Buffer, declared: number, field: string, fail: (problem: string) => never): void {
  const maxWindow = zstdWindowBound(declared);
  let at = 0;
  for (;;) {
    if (at + 4 > data.length) fail(`zstd data: truncated frame at ${hex(at)}`);
    const magic = data.readUInt32LE(at);
    if ((magic & 0xfffffff0) !== 0x184d2a50) break;
    if (at + 8 > data.length) fail(`zstd data: truncated skippable frame at ${hex(at)}`);
    at += 8 + data.readUInt32LE(at + 4);
  }
  const magic = data.readUInt32LE(at);
  if (magic !== 0xfd2fb528) fail(`zstd data: bad frame magic ${hex(magic)} at ${hex(at)}`);
  if (at + 6 > data.length) fail(`zstd data: truncated frame header at ${hex(at)}`);
  const flags = data[at + 4]!;
  const singleSegment = (flags >> 5) & 1;
  const fcsField = flags >> 6;
  let p = at + 5;
  let window = 0;
  if (!singleSegment) {
    const d = data[p++]!;
    const base = 2 ** (10 + (d >> 3));
    window = base + (base / 8) * (d & 7);
  }
  p += [0, 1, 2, 4][flags & 3]!;
  const fcsBytes = fcsField === 0 ? singleSegment : 1 << fcsField;
  if (p + fcsBytes > data.length) fail(`zstd data: truncated frame header at ${hex(at)}`);
  let contentSize: number | undefined;
  if (fcsBytes > 0) {
    let v = 0;
    for (let i = fcsBytes - 1; i >= 0; i--) v = v * 256 + data[p + i]!;
    contentSize = fcsBytes === 2 ? v + 256 : v;
  }
  if (singleSegment) window = contentSize ?? 0;
  if (contentSize !== undefined && contentSize > declared) fail(`${field} says ${declared} bytes, the zstd frame header says ${contentSize}`);
  if (window > maxWindow) fail(`the zstd frame header asks for a ${window}-byte window, more than a section of ${declared} bytes (${field}) could need`);
}
