import { spawn, spawnSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { InputError, hex } from '../errors.js';
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
 * Debian compresses with xz (6.1) and zstd (6.12). Node has zlib only: gzip is decompressed
 * in-process; xz, zstd and lz4 through the xz, zstd and lz4 tools (xz-utils is Priority:
 * required on Debian; dpkg-deb itself reads xz and zstd). fzstd, already a dependency for
 * .zst sections, took 13.2 s for 6.12.117's 11.8 MB payload; the zstd tool takes 0.12 s.
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

/** The compressed payload of a bzImage file, from its boot protocol header; an InputError for anything else. */
function payloadOf(path: string): Payload {
  const image = readInputBytes(path, 'kernel image', LIMITS.KERNEL_IMAGE_SIZE);
  if (!isBzImage(image)) throw new InputError(path, 'not a bzImage (no "HdrS" boot protocol header at 0x202)');
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
  const stated = payload.readUInt32LE(payload.length - 4);
  if (stated > LIMITS.DECOMPRESSED_KERNEL_SIZE.value) throw new InputError(path, overLimit(LIMITS.DECOMPRESSED_KERNEL_SIZE, 'decompressed vmlinux', stated));
  return { kind, stream: payload.subarray(0, payload.length - 4), stated, payloadOffset, payloadLength };
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
  return checked(path, p, p.kind === 'gzip' ? gunzip(path, p.stream) : throughTool(path, p.kind, p.stream));
}

/** decompressVmlinuz with the tool running beside this thread (relinkable scan unpacks the next kernel while it checks one). */
export async function decompressVmlinuzAsync(path: string): Promise<DecompressedImage> {
  const p = payloadOf(path);
  return checked(path, p, p.kind === 'gzip' ? gunzip(path, p.stream) : await throughToolAsync(path, p.kind, p.stream));
}

function gunzip(path: string, stream: Buffer): Buffer {
  try {
    return gunzipSync(stream, { maxOutputLength: LIMITS.DECOMPRESSED_KERNEL_SIZE.value });
  } catch (err) {
    throw new InputError(path, `gzip payload does not decompress: ${(err as Error).message}`);
  }
}

const TOOLS: Record<'xz' | 'zstd' | 'lz4', { command: string; args: string[]; package: string }> = {
  // --single-stream: the stream alone, without trailing padding.
  xz: { command: 'xz', args: ['-dc', '--single-stream'], package: 'xz-utils' },
  zstd: { command: 'zstd', args: ['-dc', '-q'], package: 'zstd' },
  lz4: { command: 'lz4', args: ['-dc', '-q'], package: 'lz4' },
};

function throughTool(path: string, kind: 'xz' | 'zstd' | 'lz4', stream: Buffer): Buffer {
  const tool = TOOLS[kind];
  const run = spawnSync(tool.command, tool.args, { input: stream, maxBuffer: LIMITS.DECOMPRESSED_KERNEL_SIZE.value + 1, stdio: ['pipe', 'pipe', 'pipe'] });
  const err = run.error as NodeJS.ErrnoException | undefined;
  if (err?.code === 'ENOENT') throw new InputError(path, `${kind}-compressed payload: the ${tool.command} tool is needed to read it (Debian package ${tool.package})`);
  if (err?.code === 'ENOBUFS') throw new InputError(path, overLimit(LIMITS.DECOMPRESSED_KERNEL_SIZE, 'decompressed vmlinux'));
  if (err) throw new InputError(path, `${kind} payload: ${tool.command} failed: ${err.message}`);
  if (run.status !== 0) {
    const said = run.stderr.toString('utf8').trim().split('\n')[0] ?? '';
    throw new InputError(path, `${kind} payload does not decompress (${tool.command}: ${said || `exit ${run.status}`})`);
  }
  return run.stdout;
}

/** A whole compressed file (a .ko.xz or .ko.zst module), decompressed with the tool for it. */
export function decompressWhole(path: string, kind: 'xz' | 'zstd'): Buffer {
  return throughTool(path, kind, readInputBytes(path, `${kind}-compressed module`, LIMITS.KERNEL_IMAGE_SIZE));
}

export function decompressWholeAsync(path: string, kind: 'xz' | 'zstd'): Promise<Buffer> {
  return throughToolAsync(path, kind, readInputBytes(path, `${kind}-compressed module`, LIMITS.KERNEL_IMAGE_SIZE));
}

function throughToolAsync(path: string, kind: 'xz' | 'zstd' | 'lz4', stream: Buffer): Promise<Buffer> {
  const tool = TOOLS[kind];
  return new Promise((resolve, reject) => {
    const child = spawn(tool.command, tool.args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let size = 0;
    let said = '';
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > LIMITS.DECOMPRESSED_KERNEL_SIZE.value) {
        child.kill();
        reject(new InputError(path, overLimit(LIMITS.DECOMPRESSED_KERNEL_SIZE, 'decompressed vmlinux')));
      } else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => (said += chunk.toString('utf8')));
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(new InputError(path, err.code === 'ENOENT' ? `${kind}-compressed payload: the ${tool.command} tool is needed to read it (Debian package ${tool.package})` : `${kind} payload: ${tool.command} failed: ${err.message}`)),
    );
    child.on('close', (status) => {
      if (status === 0) resolve(Buffer.concat(out));
      else reject(new InputError(path, `${kind} payload does not decompress (${tool.command}: ${said.trim().split('\n')[0] || `exit ${status}`})`));
    });
    // A tool that exits early closes its stdin: that is its error to report, not ours.
    child.stdin.on('error', () => undefined);
    child.stdin.end(stream);
  });
}
