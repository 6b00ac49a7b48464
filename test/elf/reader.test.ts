import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ElfFile, relocationTypeName, sectionTypeName } from '../../src/elf/index.js';
import { SHN_ABS, SHN_COMMON, SHN_UNDEF } from '../../src/elf/constants.js';
import { ELF_FIXTURES, FROZEN_DRIVER, NEW_KERNEL } from '../support/paths.js';
import { readelfRelocations, readelfSections, readelfSymbols } from '../support/readelf.js';

const SAMPLES = ['x86_64.o', 'x86_64-dwarf4.o', 'i386.o', 'aarch64.o', 'aarch64_be.o', 'aarch64_ilp32_be.o'];

const READELF_TYPES: Record<string, string> = { func: 'FUNC', object: 'OBJECT', notype: 'NOTYPE', section: 'SECTION', file: 'FILE', common: 'COMMON', tls: 'TLS' };

function ndx(shndx: number): string {
  if (shndx === SHN_UNDEF) return 'UND';
  if (shndx === SHN_ABS) return 'ABS';
  if (shndx === SHN_COMMON) return 'COM';
  return String(shndx);
}

describe.each([...SAMPLES.map((f) => join(ELF_FIXTURES, f)), FROZEN_DRIVER, join(NEW_KERNEL, 'vmlinux')])('%s against readelf', (path) => {
  const elf = ElfFile.open(path);

  it('reads every section header as readelf does', () => {
    const expected = readelfSections(path);
    expect(elf.sections.map((s) => [s.index, s.name, sectionTypeName(s.type), s.addr, s.offset, s.size, s.entsize, s.link, s.info, s.addralign])).toEqual(
      expected.map((s) => [s.index, s.name, s.type, s.address, s.offset, s.size, s.entsize, s.link, s.info, s.align]),
    );
  });

  it('reads every symbol as readelf does', () => {
    const expected = readelfSymbols(path);
    const ours = elf.symbols();
    expect(ours.length).toBe(expected.length);
    for (const [i, e] of expected.entries()) {
      const s = ours[i]!;
      const name = s.type === 'section' ? '' : s.name;
      expect([s.index, s.value, s.size, READELF_TYPES[s.type], s.binding.toUpperCase(), s.visibility.toUpperCase(), ndx(s.shndx), name]).toEqual([
        e.index,
        e.value,
        e.size,
        e.type,
        e.bind,
        e.vis,
        e.ndx,
        e.type === 'SECTION' ? '' : e.name,
      ]);
    }
  });

  it('names every relocation type and symbol as readelf does', () => {
    const expected = readelfRelocations(path);
    const ours = elf.relocationSections().flatMap((rs) =>
      [...elf.relocations(rs)].map((r) => {
        const sym = elf.symbols()[r.symbolIndex]!;
        const symbol = sym.type === 'section' ? elf.sections[sym.shndx]!.name : sym.name;
        return { section: rs.name, offset: r.offset, type: relocationTypeName(elf.header.machine, r.type), symbol };
      }),
    );
    if (elf.isRelocatable) expect(ours.length).toBeGreaterThan(0);
    // readelf names ILP32 AArch64 relocations from its own P32 table, which relinkable does not carry.
    if (path.endsWith('aarch64_ilp32_be.o')) {
      expect(ours.map((r) => [r.section, r.offset, r.symbol])).toEqual(expected.map((r) => [r.section, r.offset, r.symbol]));
      return;
    }
    expect(ours).toEqual(expected);
  });
});

describe('byte order and class', () => {
  it.each([
    ['x86_64.o', true, true, 'x86-64'],
    ['i386.o', false, true, 'i386'],
    ['aarch64.o', true, true, 'AArch64'],
    ['aarch64_be.o', true, false, 'AArch64'],
    ['aarch64_ilp32_be.o', false, false, 'AArch64'],
  ])('%s: 64-bit %s, little-endian %s, %s', (file, is64, le, machine) => {
    const elf = ElfFile.open(join(ELF_FIXTURES, file));
    expect([elf.header.is64, elf.header.littleEndian, elf.machine]).toEqual([is64, le, machine]);
  });

  it('reads REL addends from the relocated bytes, RELA addends from the entry', () => {
    const rel = ElfFile.open(join(ELF_FIXTURES, 'i386.o'));
    const relText = rel.section('.rel.text')!;
    expect(rel.relocations(relText).withAddends).toBe(false);
    expect([...rel.relocations(relText)].every((r) => r.addend === undefined)).toBe(true);
    const rela = ElfFile.open(FROZEN_DRIVER);
    const call = [...rela.relocations(rela.section('.rela.text')!)].find((r) => rela.symbols()[r.symbolIndex]!.name === 'buf_alloc')!;
    expect(call.addend).toBe(-4n);
  });
});

describe('notes', () => {
  it('decodes .note.gnu.property (x86 IBT) of an object built with -fcf-protection=branch', () => {
    const props = ElfFile.open(join(NEW_KERNEL, 'kernel', 'core.o')).gnuProperties();
    expect(props).toMatchObject({ x86Ibt: true, x86Shstk: false });
    expect(ElfFile.open(FROZEN_DRIVER).gnuProperties()).toBeUndefined();
  });
});
