import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import elfy from 'elfy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElfFile, FileSource } from '../../src/elf/index.js';
import { NEW_KERNEL } from '../support/paths.js';
import { readelfSections, readelfSymbols } from '../support/readelf.js';

// Each known defect of elfy 1.0.0 (listed in src/elf/table.ts), shown on real bytes next to
// what relinkable's own reader returns. If elfy is ever fixed, these tests say so.

interface ElfySectionView {
  name: string;
  addr: number;
  addralign: number;
  entsize: number;
}
const elfyParse = (path: string) => elfy.parse(readFileSync(path)) as { body: { sections: ElfySectionView[] } };

const VMLINUX = join(NEW_KERNEL, 'vmlinux');

describe('elfy defects, and the reader that replaces it', () => {
  it('ELF64 sh_addralign and sh_entsize: elfy reads offsets 46 and 54, we read 48 and 56', () => {
    const truth = readelfSections(VMLINUX).find((s) => s.name === '.symtab')!;
    const fromElfy = elfyParse(VMLINUX).body.sections.find((s) => s.name === '.symtab')!;
    expect([truth.align, truth.entsize]).toEqual([8, 24]);
    // 2 bytes early: sh_entsize's low bytes land in bits 16..: 24 << 16.
    expect(fromElfy.entsize).toBe(24 * 65536);
    expect(fromElfy.addralign).not.toBe(8);
    const ours = ElfFile.open(VMLINUX).section('.symtab')!;
    expect([ours.addralign, ours.entsize]).toEqual([8, 24]);
  });

  it('64-bit addresses: elfy returns JS numbers that lose the low bits of kernel addresses; we return bigint', () => {
    const truth = readelfSections(VMLINUX).find((s) => s.name === '.rodata')!;
    expect(truth.address % 2048n).not.toBe(0n); // not representable as a double
    const fromElfy = elfyParse(VMLINUX).body.sections.find((s) => s.name === '.rodata')!;
    expect(BigInt(fromElfy.addr)).not.toBe(truth.address);
    expect(ElfFile.open(VMLINUX).section('.rodata')!.addr).toBe(truth.address);
  });

  describe('extended section numbering (66,008 sections, built by the real assembler)', () => {
    let dir: string;
    let object: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'relinkable-xindex-'));
      const lines: string[] = [];
      for (let i = 0; i < 66000; i++) lines.push(`.section .s${i},"a"`, `.byte ${i % 256}`);
      lines.push('.section .s65999,"a"', '.globl last', 'last: .byte 1');
      writeFileSync(join(dir, 'many.s'), `${lines.join('\n')}\n`);
      object = join(dir, 'many.o');
      execFileSync('as', ['--64', join(dir, 'many.s'), '-o', object]);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('elfy sees e_shnum == 0 and cannot find the section-name table', () => {
      let sections: number | undefined;
      try {
        sections = elfyParse(object).body.sections.length;
      } catch {
        sections = undefined;
      }
      expect(sections === undefined || sections === 0).toBe(true);
    });

    it('we take the count and the string-table index from section 0, and SHN_XINDEX symbols from .symtab_shndx', () => {
      const elf = ElfFile.open(object);
      const truth = readelfSections(object);
      expect(elf.header.shnum).toBe(66008);
      expect(elf.sections.length).toBe(truth.length);
      expect(elf.sections[elf.sections.length - 1]!.name).toBe(truth[truth.length - 1]!.name);
      expect(elf.header.shstrndx).toBe(66007);
      const last = elf.symbols().find((s) => s.name === 'last')!;
      const lastTruth = readelfSymbols(object).find((s) => s.name === 'last')!;
      expect(String(last.shndx)).toBe(lastTruth.ndx);
      expect(elf.sections[last.shndx]!.name).toBe('.s65999');
    });
  });

  it('elfy wants the whole file in one Buffer; opening ours reads the header, the section table and the names only', () => {
    const source = FileSource.open(VMLINUX);
    const elf = new ElfFile(source);
    const shstrtab = elf.sections[elf.header.shstrndx]!;
    expect(source.bytesRead).toBe(16 + 64 + 64 + elf.sections.length * 64 + shstrtab.size);
    expect(source.bytesRead).toBeLessThan(source.size / 10);
  });
});
