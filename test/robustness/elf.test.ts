import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BufferSource, ElfFile } from '../../src/elf/index.js';
import { decompressSection } from '../../src/elf/compressed.js';
import { decodeNotes } from '../../src/elf/notes.js';
import { caught } from '../support/input-error.js';
import { CLI, ELF_FIXTURES, FROZEN_DRIVER, NEW_KERNEL, ROOT } from '../support/paths.js';
import { runCli } from '../support/run.js';

/** Issue 13, the ELF container's defects: notes (1), the AArch64 padding probe (2), zstd sizes (15), the section-name table (10). */

let dir: string;
const at = (name: string) => join(dir, name);
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'relinkable-elf-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** ELF64 little-endian section headers, for aiming a mutation. */
function sections(bytes: Buffer): { index: number; name: string; entry: number; type: number; offset: number; size: number }[] {
  const elf = new ElfFile(new BufferSource('x', bytes));
  const shoff = Number(bytes.readBigUInt64LE(40));
  return elf.sections.map((s) => ({ index: s.index, name: s.name, entry: shoff + s.index * 64, type: s.type, offset: s.offset, size: s.size }));
}

describe('notes (defect 1)', () => {
  const note = (namesz: number, descsz: number, type: number, body: number[] = []) => {
    const b = Buffer.alloc(12 + body.length);
    b.writeUInt32LE(namesz, 0);
    b.writeUInt32LE(descsz, 4);
    b.writeUInt32LE(type, 8);
    Buffer.from(body).copy(b, 12);
    return b;
  };

  it('a namesz of 0xfffffff4 is refused, not a loop that never advances (memory grew until the heap died)', () => {
    const e = caught(() => decodeNotes('x.o', '.note.x', note(0xfffffff4, 0, 1, [0, 0, 0, 0]), 4, true));
    expect(e.message).toBe('x.o: note section .note.x: note at offset 0x0 (namesz 0xfffffff4, descsz 0x0) runs past the section end (0x10)');
  });

  it('sizes whose 32-bit padding would wrap to a step backwards are refused', () => {
    for (const [namesz, descsz] of [[0xfffffffc, 0], [4, 0xfffffffd], [0xffffffff, 0xffffffff]] as const) {
      const e = caught(() => decodeNotes('x.o', '.note.x', note(namesz, descsz, 1, [0x47, 0x4e, 0x55, 0]), 8, true));
      expect(e.problem).toMatch(/^note section \.note\.x: note at offset 0x0 \(namesz 0x[0-9a-f]+, descsz 0x[0-9a-f]+\) runs past the section end \(0x10\)$/);
    }
  });

  it('well-formed notes still decode, each step forward', () => {
    const two = Buffer.concat([note(4, 4, 3, [0x47, 0x4e, 0x55, 0, 1, 2, 3, 4]), note(4, 0, 5, [0x47, 0x4e, 0x55, 0])]);
    expect(decodeNotes('x.o', '.note.x', two, 4, true).map((n) => [n.name, n.type, n.desc.toString('hex')])).toEqual([
      ['GNU', 3, '01020304'],
      ['GNU', 5, ''],
    ]);
  });

  it('a vmlinux whose __ksymtab is retyped SHT_NOTE: one input error, not an out-of-range offset (exit 3)', async () => {
    const bytes = Buffer.from(readFileSync(join(NEW_KERNEL, 'vmlinux')));
    const ksymtab = sections(bytes).find((s) => s.name === '__ksymtab')!;
    bytes.writeUInt32LE(7, ksymtab.entry + 4); // SHT_NOTE
    const path = at('vmlinux-ksymtab-note');
    writeFileSync(path, bytes);
    const r = await runCli(['check', FROZEN_DRIVER, '--vmlinux', path]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^relinkable: error: ${path}: note section __ksymtab: note at offset 0x0 \\(namesz 0x[0-9a-f]+, descsz 0x[0-9a-f]+\\) runs past the section end \\(0x${ksymtab.size.toString(16)}\\)\\n$`));
  });

  it('the whole run with the looping note: exit 2 in bounded memory (the built binary, heap capped at 256 MB)', () => {
    // .comment of a frozen object retyped SHT_NOTE, its first note given namesz 0xfffffff4.
    const bytes = Buffer.from(readFileSync(FROZEN_DRIVER));
    const comment = sections(bytes).find((s) => s.name === '.comment')!;
    bytes.writeUInt32LE(7, comment.entry + 4);
    bytes.writeUInt32LE(0xfffffff4, comment.offset);
    bytes.writeUInt32LE(0, comment.offset + 4);
    const path = at('note-loop.o');
    writeFileSync(path, bytes);
    expect(existsSync(CLI)).toBe(true);
    const r = spawnSync(process.execPath, ['--max-old-space-size=256', CLI, 'check', path, '--kernel', NEW_KERNEL], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toBe(`relinkable: error: ${path}: note section .comment: note at offset 0x0 (namesz 0xfffffff4, descsz 0x0) runs past the section end (0x${comment.size.toString(16)})\n`);
    expect(r.status).toBe(2);
  });
});

describe('the AArch64 padding probe (defect 2)', () => {
  it('extract of an AArch64 object with a function symbol moved past its section: the facts say no padding, no landing pad (was exit 3)', async () => {
    const bytes = Buffer.from(readFileSync(join(ELF_FIXTURES, 'aarch64.o')));
    const elf = new ElfFile(new BufferSource('aarch64.o', bytes));
    const fn = elf.symbols().find((s) => s.name === 'exported_function')!;
    const symtab = elf.symbolTable!;
    bytes.writeBigUInt64LE(0x1000n, symtab.offset + fn.index * 24 + 8);
    const path = at('aarch64-moved.o');
    writeFileSync(path, bytes);
    const r = await runCli(['extract', path]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const facts = JSON.parse(r.stdout).build.functions.find((f: { name: string }) => f.name === 'exported_function');
    expect(facts).toMatchObject({ name: 'exported_function', section: '.text', offset: 0x1000, entry: 'none', paddingBefore: 0 });
  });
});

describe('zstd: the output is bounded by ch_size and the data, and the error says which field lies (defect 15)', () => {
  /** An ELF64 little-endian compression header (ELFCOMPRESS_ZSTD) and its payload. */
  const section = (chSize: number, payload: Buffer) => {
    const h = Buffer.alloc(24);
    h.writeUInt32LE(2, 0);
    h.writeBigUInt64LE(BigInt(chSize), 8);
    h.writeBigUInt64LE(1n, 16);
    return Buffer.concat([h, payload]);
  };
  const data = Buffer.from(Array.from({ length: 4000 }, (_, i) => `line ${i}\n`).join(''));
  // From a file, zstd writes the content size into the frame header; --no-content-size leaves it out.
  const zstd = (input: Buffer, ...flags: string[]) => {
    const work = mkdtempSync(join(tmpdir(), 'relinkable-zstd-'));
    try {
      writeFileSync(join(work, 'data'), input);
      return execFileSync('zstd', ['-q', '-c', ...flags, join(work, 'data')]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  };
  const withSize = zstd(data);
  const withoutSize = zstd(data, '--no-content-size');

  it('a stream longer than ch_size is refused, not cut to fit', () => {
    expect(caught(() => decompressSection('z.o', '.debug_info', section(1000, withoutSize), true, true)).problem).toBe(
      'section .debug_info: the zstd stream decompresses to more than ch_size says (1000 bytes)',
    );
    expect(caught(() => decompressSection('z.o', '.debug_info', section(1000, withSize), true, true)).problem).toBe(
      `section .debug_info: ch_size says 1000 bytes, the zstd frame header says ${data.length}`,
    );
  });

  it('a ch_size of 2^31-1 over good data: refused before anything that size is allocated', () => {
    expect(caught(() => decompressSection('z.o', '.debug_info', section(2 ** 31 - 1, withSize), true, true)).problem).toBe(
      `section .debug_info: ch_size says 2147483647 bytes, more than ${withSize.length} bytes of zstd data can hold (at most 32768-fold)`,
    );
  });

  it('a stream shorter than ch_size is refused with both sizes', () => {
    expect(caught(() => decompressSection('z.o', '.debug_info', section(data.length + 10, withoutSize), true, true)).problem).toBe(
      `section .debug_info: ch_size says ${data.length + 10} bytes, the compressed data holds ${data.length}`,
    );
  });

  it('good data decompresses, with or without the content size in the frame', () => {
    expect(decompressSection('z.o', '.debug_info', section(data.length, withSize), true, true).equals(data)).toBe(true);
    expect(decompressSection('z.o', '.debug_info', section(data.length, withoutSize), true, true).equals(data)).toBe(true);
  });

  it('1,000 RLE blocks under a 128 MiB window decode in one pass (fzstd shifted the whole window per block: 12.5 s)', () => {
    const blocks = 1000;
    const blockSize = 128 * 1024;
    // Frame header: no content size, not single-segment; window descriptor 0x88 = 2^(10+17).
    const parts = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x88])];
    for (let i = 0; i < blocks; i++) {
      const header = (i === blocks - 1 ? 1 : 0) | (1 << 1) | (blockSize << 3);
      parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, header >> 16, 0x41]));
    }
    const out = decompressSection('z.o', '.debug_info', section(blocks * blockSize, Buffer.concat(parts)), true, true);
    expect(out.length).toBe(131_072_000);
    expect(out.indexOf(0x41 ^ 0xff)).toBe(-1);
    expect([out[0], out.at(-1)]).toEqual([0x41, 0x41]);
  });

  it('a frame whose checksum disagrees with its data is corrupt (fzstd never read the checksum)', () => {
    const checked = Buffer.from(zstd(data, '--check'));
    checked[checked.length - 1]! ^= 0xff;
    expect(caught(() => decompressSection('z.o', '.debug_info', section(data.length, checked), true, true)).problem).toMatch(
      /^section \.debug_info: corrupt zstd data \(zstd: .*checksum.*\)$/,
    );
  });

  it('an object whose .debug_info says ch_size 2^31-1: one line naming the section (was "Invalid string length")', async () => {
    const bytes = Buffer.from(readFileSync(join(ELF_FIXTURES, 'x86_64-zstd.o')));
    const info = sections(bytes).find((s) => s.name === '.debug_info')!;
    bytes.writeBigUInt64LE(BigInt(2 ** 31 - 1), info.offset + 8);
    const path = at('zstd-lying.o');
    writeFileSync(path, bytes);
    const r = await runCli(['extract', path]);
    expect(r).toEqual({
      status: 2,
      stdout: '',
      stderr: `relinkable: error: ${path}: section .debug_info: ch_size says 2147483647 bytes, more than ${info.size - 24} bytes of zstd data can hold (at most 32768-fold)\n`,
    });
  });
});

describe('the section-name table (defect 10: names read from another section found no type source, and the check passed)', () => {
  it('e_shstrndx pointing at .text of vmlinux: an input error, not RELINKABLE with nothing compared', async () => {
    const bytes = Buffer.from(readFileSync(join(NEW_KERNEL, 'vmlinux')));
    bytes.writeUInt16LE(1, 62); // e_shstrndx -> [1] .text
    const path = at('vmlinux-shstrndx');
    writeFileSync(path, bytes);
    expect(await runCli(['check', FROZEN_DRIVER, '--vmlinux', path])).toEqual({
      status: 2,
      stdout: '',
      stderr: `relinkable: error: ${path}: e_shstrndx 1 does not point at the section-name table: section [1] is of type PROGBITS, not STRTAB\n`,
    });
  });

  it('e_shstrndx pointing at .strtab (a string table, but of symbol names)', async () => {
    const bytes = Buffer.from(readFileSync(join(NEW_KERNEL, 'vmlinux')));
    const strtab = sections(bytes).find((s) => s.name === '.strtab')!;
    bytes.writeUInt16LE(strtab.index, 62);
    const path = at('vmlinux-shstrndx-strtab');
    writeFileSync(path, bytes);
    const r = await runCli(['check', FROZEN_DRIVER, '--vmlinux', path]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^relinkable: error: ${path}: (e_shstrndx ${strtab.index} does not point at the section-name table: section \\[${strtab.index}\\] does not name itself \\.shstrtab|section name offset 0x[0-9a-f]+ outside its string table \\(\\d+ bytes\\))\\n$`));
  });

  it('LLVM-style objects, whose one .strtab names sections and symbols, still read', () => {
    // Every fixture names its table .shstrtab; the rule also accepts .strtab naming itself.
    const bytes = Buffer.from(readFileSync(FROZEN_DRIVER));
    const shstrtab = sections(bytes).find((s) => s.name === '.shstrtab')!;
    const names = bytes.subarray(shstrtab.offset, shstrtab.offset + shstrtab.size);
    const own = bytes.readUInt32LE(shstrtab.entry);
    expect(names.toString('latin1', own, own + 9)).toBe('.shstrtab');
    names.write('.strtab\0\0', own, 'latin1');
    const elf = new ElfFile(new BufferSource('llvm-like.o', bytes));
    expect(elf.sections[shstrtab.index]!.name).toBe('.strtab');
  });
});
