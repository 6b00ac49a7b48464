import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BufferSource, ElfFile } from '../../src/elf/index.js';
import { ELF_FIXTURES, FROZEN_DRIVER, FROZEN_MODULE, NEW_KERNEL } from '../support/paths.js';
import { runBinary, runCli } from '../support/run.js';

let dir: string;
const at = (name: string) => join(dir, name);
const hex = (n: number) => `0x${n.toString(16)}`;
const driverBytes = readFileSync(FROZEN_DRIVER);
const shoff = Number(driverBytes.readBigUInt64LE(40));
const symtab = (() => {
  for (let i = 0; i < driverBytes.readUInt16LE(60); i++) {
    const entry = shoff + i * 64;
    if (driverBytes.readUInt32LE(entry + 4) === 2) return { index: i, offset: Number(driverBytes.readBigUInt64LE(entry + 24)) };
  }
  throw new Error('fixture has no .symtab');
})();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'relinkable-bad-'));
  const driver = readFileSync(FROZEN_DRIVER);
  writeFileSync(at('truncated.o'), driver.subarray(0, 2000));
  writeFileSync(at('text.o'), 'this is not an object file\n');
  writeFileSync(at('tiny.o'), Buffer.from([0x7f, 0x45]));
  // e_shoff moved past the end of the file.
  const pastEof = Buffer.from(driver);
  pastEof.writeBigUInt64LE(BigInt(driver.length + 4096), 40);
  writeFileSync(at('shoff-past-eof.o'), pastEof);
  // A section whose data runs past the end of the file: .symtab's sh_size doubled.
  const bigSection = Buffer.from(driver);
  bigSection.writeBigUInt64LE(BigInt(driver.length), shoff + symtab.index * 64 + 32);
  writeFileSync(at('section-past-eof.o'), bigSection);
  mkdirSync(at('kernel-without-vmlinux'));
  copyFileSync(join(NEW_KERNEL, 'Module.symvers'), at('kernel-without-vmlinux/Module.symvers'));
  copyFileSync(join(NEW_KERNEL, '.config'), at('kernel-without-vmlinux/.config'));
  mkdirSync(at('kernel-without-vmlinux/include/generated'), { recursive: true });
  mkdirSync(at('a-directory.o'));
  symlinkSync(at('loop-b.o'), at('loop-a.o'));
  symlinkSync(at('loop-a.o'), at('loop-b.o'));
  copyFileSync(FROZEN_DRIVER, at('unreadable.o'));
  chmodSync(at('unreadable.o'), 0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const kernel = ['--kernel', NEW_KERNEL];

describe('bad input: one line naming the file and the problem, exit 2', () => {
  it.each([
    ['truncated.o', kernel, `truncated: section table at ${hex(shoff)} lies past the end of the file (2000 bytes)`],
    ['text.o', kernel, 'not an ELF file (bad magic)'],
    ['tiny.o', kernel, 'not an ELF file (only 2 bytes)'],
    ['shoff-past-eof.o', kernel, `truncated: section table at ${hex(driverBytes.length + 4096)} lies past the end of the file (${driverBytes.length} bytes)`],
    ['section-past-eof.o', kernel, `truncated: section [${symtab.index}] at ${hex(symtab.offset)}+${hex(driverBytes.length)} ends past the end of the file (${driverBytes.length} bytes)`],
    ['missing.o', kernel, 'no such file'],
    ['a-directory.o', kernel, 'is a directory, not a file'],
    ['loop-a.o', kernel, 'too many levels of symbolic links'],
  ])('%s', async (name, args, problem) => {
    const r = await runCli(['check', at(name), ...args]);
    expect(r).toEqual({ status: 2, stdout: '', stderr: `relinkable: error: ${at(name)}: ${problem}\n` });
  });

  it('an object of another architecture than the kernel', async () => {
    const obj = join(ELF_FIXTURES, 'aarch64.o');
    const r = await runCli(['check', obj, ...kernel]);
    expect(r.stderr).toBe(`relinkable: error: ${obj}: wrong architecture: a AArch64 object, but the new kernel (${join(NEW_KERNEL, 'vmlinux')}) is x86-64\n`);
    expect(r.status).toBe(2);
  });

  it('a kernel directory without a vmlinux', async () => {
    const r = await runCli(['check', FROZEN_DRIVER, '--kernel', at('kernel-without-vmlinux')]);
    expect(r.stderr).toBe(
      `relinkable: error: ${at('kernel-without-vmlinux')}: kernel build directory without a vmlinux (the build did not finish, or vmlinux was removed)\n`,
    );
    expect(r.status).toBe(2);
  });

  it('a linked file given as the frozen object, and a relocatable one given as vmlinux', async () => {
    const vmlinux = join(NEW_KERNEL, 'vmlinux');
    expect((await runCli(['check', vmlinux, ...kernel])).stderr).toBe(
      `relinkable: error: ${vmlinux}: not a relocatable object (.o/.ko): it is a linked executable (ET_EXEC)\n`,
    );
    expect((await runCli(['check', FROZEN_DRIVER, '--vmlinux', FROZEN_MODULE])).stderr).toBe(
      `relinkable: error: ${FROZEN_MODULE}: is not a linked vmlinux (ELF type ET_REL, a relocatable object, not ET_EXEC or ET_DYN)\n`,
    );
  });

  it('an unreadable file (where permissions apply: not as root)', async () => {
    const r = await runCli(['check', at('unreadable.o'), ...kernel]);
    if (process.getuid?.() === 0) {
      expect(r.status).toBe(1); // root reads it anyway: a normal report
    } else {
      expect(r).toEqual({ status: 2, stdout: '', stderr: `relinkable: error: ${at('unreadable.o')}: permission denied\n` });
    }
  });

  it('usage errors: no kernel given, unknown format, .ko and .o mixed', async () => {
    expect(await runCli(['check', FROZEN_DRIVER])).toMatchObject({ status: 2, stderr: 'relinkable: error: give the new kernel with --kernel DIR, or at least --vmlinux FILE\n' });
    const badFormat = await runCli(['check', FROZEN_DRIVER, ...kernel, '--format', 'xml']);
    expect(badFormat.status).toBe(2);
    expect(badFormat.stderr).toMatch(/argument 'xml' is invalid/);
    expect(await runCli(['check', FROZEN_DRIVER, FROZEN_MODULE, ...kernel])).toMatchObject({
      status: 2,
      stderr: 'relinkable: error: give either modules (.ko) or objects (.o) to relink together, not both\n',
    });
  });

  it('a catalogue or an origin kernel that is not there: one line naming it', async () => {
    expect(await runCli(['check', FROZEN_DRIVER, ...kernel, '--signatures', at('no-catalogue')])).toMatchObject({ status: 2, stdout: '', stderr: `relinkable: error: ${at('no-catalogue')}: no such catalogue directory\n` });
    expect(await runCli(['check', FROZEN_DRIVER, ...kernel, '--signatures', dir])).toMatchObject({ status: 2, stdout: '', stderr: `relinkable: error: ${join(dir, 'catalogue.json')}: no such file\n` });
    expect(await runCli(['check', FROZEN_DRIVER, ...kernel, '--built-with', at('no-kernel')])).toMatchObject({
      status: 2,
      stdout: '',
      stderr: `relinkable: error: ${at('no-kernel')}: no such directory (--built-with takes the build directory or headers of the kernel the frozen objects were compiled in)\n`,
    });
  });

  it('the installed binary prints no stack trace either', () => {
    const r = runBinary(['check', at('truncated.o'), ...kernel]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('hostile bytes: every mutation gives a report or one error line, never a crash or a pass on garbage', () => {
  // A seeded generator so that a failure names a reproducible mutation.
  /** Byte ranges of the sections whose names match, to aim mutations at one reader. */
  function sectionRanges(bytes: Buffer, names: RegExp): [number, number][] {
    const elf = new ElfFile(new BufferSource('x', bytes));
    return elf.sections.filter((s) => names.test(s.name) && s.size > 0).map((s) => [s.offset, s.offset + s.size] as [number, number]);
  }

  function* mutations(bytes: Buffer, count: number, seed: number, ranges: [number, number][] = [[0, bytes.length]]): Generator<[number, Buffer]> {
    let s = seed;
    const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0);
    for (let i = 0; i < count; i++) {
      const m = Buffer.from(bytes);
      const edits = 1 + (next() % 8);
      for (let e = 0; e < edits; e++) {
        const [start, end] = ranges[next() % ranges.length]!;
        m[start + (next() % (end - start))] = next() & 0xff;
      }
      yield [i, m];
    }
  }

  it.each([
    ['rng_driver.o', FROZEN_DRIVER, /./],
    ['rng_mod.ko', FROZEN_MODULE, /./],
    ['rng_driver.o (DWARF only)', FROZEN_DRIVER, /^\.(rela\.)?debug_(info|abbrev|str|line_str)$/],
  ])('%s, 150 random mutations', async (name, original, sections) => {
    const outcomes = { report: 0, inputError: 0 };
    const bytes = readFileSync(original);
    for (const [i, mutated] of mutations(bytes, 150, name.length, sectionRanges(bytes, sections))) {
      const path = at(`mutant-${i}-${name.replace(/\W+/g, '_')}`);
      writeFileSync(path, mutated);
      const r = await runCli(['check', path, ...kernel, '--format', 'json']);
      rmSync(path);
      if (r.status === 2) {
        outcomes.inputError++;
        expect(r.stderr.startsWith(`relinkable: error: ${path}: `), `mutation ${i}: ${r.stderr}`).toBe(true);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
      } else {
        outcomes.report++;
        expect([0, 1], `mutation ${i}: status ${r.status} ${r.stderr}`).toContain(r.status);
        expect(r.stderr, `mutation ${i}`).toBe('');
        expect(JSON.parse(r.stdout).format).toBe('relinkable-report');
      }
    }
    expect(outcomes.report + outcomes.inputError).toBe(150);
  });
});
