import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DwarfFile } from '../../src/dwarf/index.js';
import { ElfFile } from '../../src/elf/index.js';
import { readFrozenObject } from '../../src/model/frozen.js';
import { ELF_FIXTURES, FROZEN_DRIVER, FROZEN_MODULE, NEW_KERNEL } from '../support/paths.js';
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

  it('would read wrong names without the relocations (the trap BRIEF describes)', () => {
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
