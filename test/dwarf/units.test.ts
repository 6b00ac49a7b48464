import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AbbreviationTable } from '../../src/dwarf/abbrev.js';
import { DwarfFile } from '../../src/dwarf/index.js';
import { Cursor } from '../../src/dwarf/reader.js';
import { ElfFile, type FileSource } from '../../src/elf/index.js';
import { readFrozenObject } from '../../src/object/read.js';
import { ELF_FIXTURES, FROZEN_DRIVER, FROZEN_MODULE, NEW_KERNEL } from '../support/paths.js';
import { debianVmlinux } from '../support/corpus.js';
import { readelfCompileUnits, readelfDeclarations } from '../support/readelf.js';

const OBJECTS = ['x86_64.o', 'x86_64-dwarf4.o', 'i386.o', 'aarch64.o', 'aarch64_be.o', 'aarch64_ilp32_be.o', 'x86_64-zlib.o', 'x86_64-zstd.o'].map((f) =>
  join(ELF_FIXTURES, f),
);

describe.each([...OBJECTS, FROZEN_MODULE, join(NEW_KERNEL, 'vmlinux')])('compile units of %s', (path) => {
  it('match readelf (names and producers go through relocated .debug_str/.debug_line_str)', () => {
    const dwarf = new DwarfFile(ElfFile.open(path));
    const ours = dwarf.compileUnits().map((u) => ({ offset: u.header.offset, version: u.header.version, name: u.name, producer: u.producer }));
    const truth = readelfCompileUnits(path);
    expect(ours.length).toBeGreaterThan(0);
    expect(ours).toEqual(truth);
  });
});

describe('relocation of debug sections in relocatable objects', () => {
  it('gives the same names whether .debug_* is plain, zlib- or zstd-compressed', () => {
    const names = ['x86_64.o', 'x86_64-zlib.o', 'x86_64-zstd.o'].map((f) =>
      new DwarfFile(ElfFile.open(join(ELF_FIXTURES, f))).compileUnits().map((u) => [u.name, u.producer]),
    );
    expect(names[1]).toEqual(names[0]);
    expect(names[2]).toEqual(names[0]);
    expect(names[0]![0]![0]).toBe('sample.c');
  });

  it('would read wrong names without the relocations (.debug_info of a .o holds its string offsets as relocations)', () => {
    const elf = ElfFile.open(FROZEN_DRIVER);
    const raw = elf.sectionData(elf.section('.debug_info')!);
    const relocated = new DwarfFile(elf).sectionBytes('.debug_info')!;
    expect(relocated.equals(raw)).toBe(false);
  });
});

describe('declarations the frozen object carries', () => {
  it.each([FROZEN_DRIVER, FROZEN_MODULE])('%s: the imports declared in its DWARF, as readelf lists them', (path) => {
    const obj = readFrozenObject(path);
    const declared = [...obj.imports.values()].filter((i) => i.kindSource === 'dwarf').map((i) => i.name);
    expect(declared.sort()).toEqual(readelfDeclarations(path).filter((n) => obj.imports.has(n)));
  });

  it('knows data from functions: event_count is a variable in the old interface', () => {
    const obj = readFrozenObject(FROZEN_DRIVER);
    expect(obj.imports.get('event_count')).toMatchObject({ kind: 'data', kindSource: 'dwarf' });
    expect(obj.imports.get('buf_alloc')).toMatchObject({ kind: 'function', kindSource: 'dwarf' });
    expect(obj.imports.get('__fentry__')).toMatchObject({ kind: 'function', kindSource: 'relocation' });
  });
});

describe('address ranges', () => {
  it('map an address in vmlinux to the compile unit that holds its code', () => {
    const elf = ElfFile.open(join(NEW_KERNEL, 'vmlinux'));
    const dwarf = new DwarfFile(elf);
    const startKernel = elf.symbols().find((s) => s.name === 'start_kernel')!;
    const unit = dwarf.addressRanges()!.unitFor(startKernel.value)!;
    expect(dwarf.compileUnits().find((u) => u.header.offset === unit)?.name).toBe('init/main.c');
    expect(dwarf.addressRanges()!.unitFor(0n)).toBeUndefined();
  });
});

describe('a linked file read in place', () => {
  const sizes = (elf: ElfFile) => elf.section('.debug_abbrev')!.size + elf.section('.debug_str')!.size;

  it('Debian 6.12.117 vmlinux: unit names and producers read from the file equal those read from whole sections, for a fraction of the bytes', () => {
    const inPlace = ElfFile.open(debianVmlinux('6.12.117'));
    const whole = ElfFile.open(debianVmlinux('6.12.117'));
    const wholeDwarf = new DwarfFile(whole);
    wholeDwarf.sectionBytes('.debug_str');
    wholeDwarf.sectionBytes('.debug_line_str');
    wholeDwarf.sectionBytes('.debug_abbrev');
    const placeDwarf = new DwarfFile(inPlace);
    const headers = [...placeDwarf.leadingUnitHeaders()].slice(0, 60);
    const summaries = (d: DwarfFile) => headers.map((h) => d.summary(h)).map((s) => [s?.name, s?.compDir, s?.producer]);
    const before = (inPlace.source as FileSource).bytesRead;
    const ours = summaries(placeDwarf);
    const read = (inPlace.source as FileSource).bytesRead - before;
    expect(ours).toEqual(summaries(wholeDwarf));
    expect(ours[0]).toEqual(['init/main.c', expect.any(String), expect.stringMatching(/^GNU C11 12\.2\.0 .*-fcf-protection=branch/)]);
    expect(ours.filter((s) => /^GNU C11 12\.2\.0 /.test(s[2] ?? '')).length).toBeGreaterThan(40);
    // .debug_str (4.7 MB) and .debug_abbrev (6.4 MB) are not read whole: per unit a 16 KB abbreviation window,
    // the first 4 KB of the unit for its root DIE, and its three strings in 256-byte chunks (a producer is 1-2 KB).
    expect(read).toBeLessThan(60 * (16384 + 4096 + 4096));
  });

  it('and a pass over every unit reads each section whole once the pieces would add up to a quarter of it', () => {
    const elf = ElfFile.open(debianVmlinux('6.12.117'));
    const dwarf = new DwarfFile(elf);
    const headers = dwarf.unitHeaders();
    const before = (elf.source as FileSource).bytesRead;
    expect(dwarf.compileUnits().length).toBe(headers.length);
    const read = (elf.source as FileSource).bytesRead - before;
    // the whole of both sections, the quarter read before in pieces, and each unit's root DIE
    expect(read).toBeLessThan(1.25 * sizes(elf) + headers.length * 4096);
  });
});

describe('abbreviation tables', () => {
  it('say whether a table ends inside the bytes given (a window of the section), without failing', () => {
    const elf = ElfFile.open(join(NEW_KERNEL, 'vmlinux'));
    const dwarf = new DwarfFile(elf);
    const header = dwarf.unitHeaders()[0]!;
    const abbrev = dwarf.sectionBytes('.debug_abbrev')!;
    const full = new AbbreviationTable(new Cursor(abbrev, 0, true, 'vmlinux', '.debug_abbrev'), header.abbrevOffset);
    expect(full.endsWithin()).toBe(true);
    const cut = abbrev.subarray(header.abbrevOffset, header.abbrevOffset + 8);
    expect(new AbbreviationTable(new Cursor(cut, 0, true, 'vmlinux', '.debug_abbrev', header.abbrevOffset), 0).endsWithin()).toBe(false);
  });
});
