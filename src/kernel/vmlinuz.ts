import { crc32 } from 'node:zlib';
import { decompressWithTool, decompressWithToolAsync, type ToolCompression, type ToolOutcome } from '../decompress-tool.js';
import { InputError, hex } from '../errors.js';
import { inflateBounded } from '../inflate.js';
import { readInputBytes } from '../input-file.js';
import { FileSource } from '../elf/source.js';
import { LIMITS, overLimit } from '../limits.js';

/**
 * The linked vmlinux inside a compressed x86 kernel image (bzImage, Debian's
 * /boot/vmlinuz-<release>). The boot protocol header (Documentation/arch/x86/boot.rst) says
 * where the payload is: setup_sects at 0x1f1, "HdrS" at 0x202, the protocol version at 0x206
 * (payload fields from 2.08), payload_offset and payload_length at 0x248 and 0x24c, both
 * counted from the protected-mode code, which starts after the (setup_sects + 1) 512-byte
 * sectors of real-mode setup. The payload is the vmlinux ELF (objcopy -S: section headers
 * kept, .symtab and DWARF dropped), compressed, with its decompressed size appended as 4
 * little-endian bytes (scripts/Makefile.lib size_append).
 *
 * Debian compresses with xz (6.1) and zstd (6.12). gzip is decompressed in-process; xz, zstd
 * and lz4 through their tools (src/decompress-tool.ts says why).
 */

export type ImageCompression = 'gzip' | 'xz' | 'zstd' | 'lz4';

export interface DecompressedImage {
  readonly bytes: Buffer;
  readonly compression: ImageCompression;
  /** Where the payload starts in the image file, and its compressed length. */
  readonly payloadOffset: number;
  readonly payloadLength: number;
}

const MAGICS: readonly { magic: number[]; name: ImageCompression | 'bzip2' | 'lzma' | 'lzo' }[] = [
  { magic: [0x1f, 0x8b], name: 'gzip' },
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], name: 'xz' },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], name: 'zstd' },
  { magic: [0x02, 0x21, 0x4c, 0x18], name: 'lz4' },
  { magic: [0x42, 0x5a, 0x68], name: 'bzip2' },
  { magic: [0x5d, 0x00, 0x00], name: 'lzma' },
  { magic: [0x89, 0x4c, 0x5a, 0x4f], name: 'lzo' },
];

/** Whether the bytes start like a bzImage (the boot protocol's "HdrS" at 0x202). */
export function isBzImage(head: Buffer): boolean {
  return head.length >= 0x206 && head.toString('latin1', 0x202, 0x206) === 'HdrS';
}

/** Whether a file starts like a bzImage: reads its first 0x206 bytes (false for anything shorter). */
export function looksLikeBzImage(path: string): boolean {
  const source = FileSource.open(path);
  try {
    return source.size >= 0x206 && isBzImage(source.read(0, 0x206, 'boot protocol header'));
  } finally {
    source.close();
  }
}

interface Payload {
  readonly kind: ImageCompression;
  /** The compressed stream, without the appended size. */
  readonly stream: Buffer;
  /** The decompressed size the image states. */
  readonly stated: number;
  readonly payloadOffset: number;
  readonly payloadLength: number;
}

/** Where the boot protocol fields relinkable reads end (payload_length, 4 bytes at 0x24c). */
const BOOT_HEADER_END = 0x250;

/** The compressed payload of a bzImage file, from its boot protocol header; an InputError for anything else. */
function payloadOf(path: string): Payload {
  const image = readInputBytes(path, 'kernel image', LIMITS.KERNEL_IMAGE_SIZE);
  if (!isBzImage(image)) throw new InputError(path, 'not a bzImage (no "HdrS" boot protocol header at 0x202)');
  // The fields read below end with payload_length at 0x24c.
  if (image.length < BOOT_HEADER_END) throw new InputError(path, `truncated: ${image.length} bytes, shorter than the boot protocol header (${hex(BOOT_HEADER_END)} bytes)`);
  const protocol = image.readUInt16LE(0x206);
  if (protocol < 0x208) throw new InputError(path, `boot protocol ${protocol >> 8}.${(protocol & 0xff).toString().padStart(2, '0')} has no payload fields (2.08 and later do)`);
  const setupSectors = image[0x1f1] || 4;
  const payloadOffset = (setupSectors + 1) * 512 + image.readUInt32LE(0x248);
  const payloadLength = image.readUInt32LE(0x24c);
  if (payloadLength < 8 || payloadOffset + payloadLength > image.length) {
    throw new InputError(path, `payload at ${hex(payloadOffset)}+${hex(payloadLength)} is not inside the ${image.length}-byte image`);
  }
  const payload = image.subarray(payloadOffset, payloadOffset + payloadLength);
  const kind = MAGICS.find((m) => m.magic.every((b, i) => payload[i] === b))?.name;
  if (!kind) throw new InputError(path, `payload at ${hex(payloadOffset)} starts ${payload.subarray(0, 6).toString('hex')}: no compression the kernel uses`);
  if (kind === 'bzip2' || kind === 'lzma' || kind === 'lzo') {
    throw new InputError(path, `${kind}-compressed payload: relinkable reads gzip, xz, zstd and lz4 kernel images`);
  }
  // The last 4 bytes state the decompressed size: appended by size_append for every
  // compression but gzip, whose own trailer ends with it (ISIZE; scripts/Makefile.lib).
  const stated = payload.readUInt32LE(payload.length - 4);
  if (stated > LIMITS.DECOMPRESSED_KERNEL_SIZE.value) throw new InputError(path, overLimit(LIMITS.DECOMPRESSED_KERNEL_SIZE, 'decompressed vmlinux', stated));
  const stream = kind === 'gzip' ? payload : payload.subarray(0, payload.length - 4);
  return { kind, stream, stated, payloadOffset, payloadLength };
}

/** The decompressed payload, when it is an ELF file of the size the image states. */
function checked(path: string, p: Payload, bytes: Buffer): DecompressedImage {
  if (bytes.length !== p.stated) throw new InputError(path, `${p.kind} payload decompressed to ${bytes.length} bytes; the image states ${p.stated}`);
  if (bytes.length < 4 || bytes.readUInt32BE(0) !== 0x7f454c46) throw new InputError(path, `${p.kind} payload decompressed to something other than an ELF file`);
  return { bytes, compression: p.kind, payloadOffset: p.payloadOffset, payloadLength: p.payloadLength };
}

/** Decompresses the vmlinux out of a bzImage file: an InputError for anything else, or a payload that does not decompress to an ELF of the size the image states. */
export function decompressVmlinuz(path: string): DecompressedImage {
  const p = payloadOf(path);
  return checked(path, p, p.kind === 'gzip' ? gunzip(path, p.stream, p.stated) : throughTool(path, p.kind, p.stream));
}

/** decompressVmlinuz with the tool running beside this thread (relinkable scan unpacks the next kernel while it checks one). */
export async function decompressVmlinuzAsync(path: string): Promise<DecompressedImage> {
  const p = payloadOf(path);
  return checked(path, p, p.kind === 'gzip' ? gunzip(path, p.stream, p.stated) : await throughToolAsync(path, p.kind, p.stream));
}

/** The gzip member, decoded in-process (src/inflate.ts) and checked against its trailer's CRC32, which the decoder does not check. */
function gunzip(path: string, stream: Buffer, stated: number): Buffer {
  const outcome = inflateBounded('gzip', stream, stated);
  if (!outcome.ok) {
    throw new InputError(path, outcome.problem === 'too-long' ? `gzip payload decompresses to more than the image states (${stated} bytes)` : `gzip payload does not decompress: ${outcome.said}`);
  }
  const stored = stream.readUInt32LE(stream.length - 8);
  const computed = crc32(outcome.bytes);
  if (computed !== stored) throw new InputError(path, `gzip payload: its CRC32 ${hex(stored)} is not that of what it decompresses to (${hex(computed)})`);
  return outcome.bytes;
}

/** The payload through its tool: the vmlinux it holds, or an error naming the image. */
function throughTool(path: string, kind: ToolCompression, stream: Buffer): Buffer {
  return imageBytes(path, kind, decompressWithTool(kind, stream, LIMITS.DECOMPRESSED_KERNEL_SIZE.value));
}

async function throughToolAsync(path: string, kind: ToolCompression, stream: Buffer): Promise<Buffer> {
  return imageBytes(path, kind, await decompressWithToolAsync(kind, stream, LIMITS.DECOMPRESSED_KERNEL_SIZE.value));
}

function imageBytes(path: string, kind: ToolCompression, outcome: ToolOutcome): Buffer {
  if (outcome.ok) return outcome.bytes;
  if (outcome.problem === 'missing') throw new InputError(path, `${kind}-compressed payload: ${outcome.said}`);
  if (outcome.problem === 'too-long') throw new InputError(path, overLimit(LIMITS.DECOMPRESSED_KERNEL_SIZE, 'decompressed vmlinux'));
  throw new InputError(path, `${kind} payload does not decompress (${outcome.said})`);
}

/** A whole compressed file (a .ko.xz or .ko.zst module), decompressed with the tool for it. */
export function decompressWhole(path: string, kind: 'xz' | 'zstd'): Buffer {
  return throughTool(path, kind, readInputBytes(path, `${kind}-compressed module`, LIMITS.KERNEL_IMAGE_SIZE));
}

export function decompressWholeAsync(path: string, kind: 'xz' | 'zstd'): Promise<Buffer> {
  return throughToolAsync(path, kind, readInputBytes(path, `${kind}-compressed module`, LIMITS.KERNEL_IMAGE_SIZE));
}
