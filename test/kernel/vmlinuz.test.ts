import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { decompressVmlinuz } from '../../src/kernel/vmlinuz.js';
import { InputError } from '../../src/errors.js';
import { FIXTURES } from '../support/paths.js';
import { bzImage, withSize } from '../../fuzz/targets/more-inputs.js';

const dir = mkdtempSync(join(tmpdir(), 'relinkable-vmlinuz-'));
const ELF = readFileSync(join(FIXTURES, 'new-kernel', 'vmlinux'));

/** A bzImage file around `payload` (the fuzz target's layout), with 16 bytes after it as a real image has. */
function bzImageFile(payload: Buffer, protocol?: number): string {
  const file = join(dir, `bzImage-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, Buffer.concat([bzImage(payload, protocol), Buffer.alloc(16)]));
  return file;
}

/** A gzip stream with its trailer's ISIZE (the kernel's stated size) or CRC32 changed. */
function gzipWith(change: { isize?: number; crc?: number }): Buffer {
  const gz = Buffer.from(gzipSync(ELF));
  if (change.isize !== undefined) gz.writeUInt32LE(change.isize, gz.length - 4);
  if (change.crc !== undefined) gz.writeUInt32LE(change.crc, gz.length - 8);
  return gz;
}

const tool = (cmd: string, args: string[]) => spawnSync(cmd, args, { input: ELF, maxBuffer: 1 << 28 }).stdout;

describe('vmlinux out of a bzImage', () => {
  // gzip as the kernel's Makefile.lib writes it: the stream alone, its ISIZE the stated size;
  // xz and zstd with the size appended (size_append).
  it.each([
    ['gzip', () => gzipSync(ELF)],
    ['xz', () => withSize(tool('xz', ['-c', '--check=crc32']), ELF.length)],
    ['zstd', () => withSize(tool('zstd', ['-c', '-q']), ELF.length)],
  ] as const)('decompresses a %s payload to the exact vmlinux bytes', (kind, compress) => {
    const image = decompressVmlinuz(bzImageFile(compress()));
    expect(image.compression).toBe(kind);
    expect(image.payloadOffset).toBe(3 * 512 + 0x40);
    expect(image.bytes.equals(ELF)).toBe(true);
  });

  it('refuses a payload that decompresses to another size than the image states', () => {
    const xz = bzImageFile(withSize(tool('xz', ['-c', '--check=crc32']), ELF.length + 1));
    expect(() => decompressVmlinuz(xz)).toThrow(new InputError(xz, `xz payload decompressed to ${ELF.length} bytes; the image states ${ELF.length + 1}`));
    const longer = bzImageFile(gzipWith({ isize: ELF.length + 1 }));
    expect(() => decompressVmlinuz(longer)).toThrow(new InputError(longer, `gzip payload decompressed to ${ELF.length} bytes; the image states ${ELF.length + 1}`));
    const shorter = bzImageFile(gzipWith({ isize: ELF.length - 1 }));
    expect(() => decompressVmlinuz(shorter)).toThrow(new InputError(shorter, `gzip payload decompresses to more than the image states (${ELF.length - 1} bytes)`));
  });

  it('refuses a gzip payload whose CRC32 is not that of its data (the decoder does not check it)', () => {
    const crc = gzipSync(ELF).readUInt32LE(gzipSync(ELF).length - 8);
    const wrong = (crc ^ 1) >>> 0;
    const file = bzImageFile(gzipWith({ crc: wrong }));
    expect(() => decompressVmlinuz(file)).toThrow(new InputError(file, `gzip payload: its CRC32 0x${wrong.toString(16)} is not that of what it decompresses to (0x${crc.toString(16)})`));
  });

  it('names a compression it does not read', () => {
    const file = bzImageFile(Buffer.from('BZh91AY&SY-not-really'));
    expect(() => decompressVmlinuz(file)).toThrow(new InputError(file, 'bzip2-compressed payload: relinkable reads gzip, xz, zstd and lz4 kernel images'));
  });

  it('refuses a boot protocol without payload fields, and a file that is no bzImage', () => {
    const old = bzImageFile(gzipSync(ELF), 0x207);
    expect(() => decompressVmlinuz(old)).toThrow(new InputError(old, 'boot protocol 2.07 has no payload fields (2.08 and later do)'));
    const vmlinux = join(FIXTURES, 'new-kernel', 'vmlinux');
    expect(() => decompressVmlinuz(vmlinux)).toThrow(new InputError(vmlinux, 'not a bzImage (no "HdrS" boot protocol header at 0x202)'));
  });

  it('refuses a payload that decompresses to something other than ELF', () => {
    const junk = Buffer.alloc(ELF.length, 0x41);
    const file = bzImageFile(gzipSync(junk));
    expect(() => decompressVmlinuz(file)).toThrow(new InputError(file, 'gzip payload decompressed to something other than an ELF file'));
  });
});
