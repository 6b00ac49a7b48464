import { describe, expect, it } from 'vitest';
import { inferEntrySize, relocationsPerEntry, specialSectionSizes, X86_SPECIAL_SECTIONS } from '../../../src/arch/x86/entries.js';
import { ElfFile } from '../../../src/elf/index.js';
import { readelfRelocations, readelfSections } from '../../support/readelf.js';
import { paholeSize } from './oracles.js';
import { debianModule, debianVmlinux, kvm, MODULES, treeObject, type Version } from './corpus.js';

const sizesOf = (path: string) => {
  const elf = ElfFile.open(path);
  try {
    return Object.fromEntries(specialSectionSizes(elf).map((s) => [s.section, s]));
  } finally {
    elf.close();
  }
};

describe('entry sizes from relocations: Debian kvm-amd.ko, 6.1.170 and 6.12.117', () => {
  it.each([
    ['6.1.170', 12],
    ['6.12.117', 14],
  ] as const)('%s: .altinstructions %i bytes; __ex_table 12, __bug_table 12, __jump_table 16, .static_call_sites 8', (version, alt) => {
    const s = sizesOf(kvm(version, 'kvm-amd'));
    expect(s['.altinstructions']!.entrySize).toBe(alt);
    expect(s['__ex_table']!.entrySize).toBe(12);
    expect(s['__bug_table']!.entrySize).toBe(12);
    expect(s['__jump_table']!.entrySize).toBe(16);
    expect(s['.static_call_sites']!.entrySize).toBe(8);
    expect(s['.orc_unwind']!.entrySize).toBe(6);
    expect(s['.orc_unwind_ip']!.entrySize).toBe(4);
    expect(s['.orc_unwind']!.entries).toBe(s['.orc_unwind_ip']!.entries);
    // .parainstructions only before v6.8 (f7af6977621a).
    expect(s['.parainstructions']?.entrySize).toBe(version === '6.1.170' ? 16 : undefined);
    if (version === '6.12.117') {
      expect(s['.call_sites']!.entrySize).toBe(4);
      expect(s['.ibt_endbr_seal']!.entrySize).toBe(4);
      expect(s['__patchable_function_entries']!.entrySize).toBe(8);
    }
  });
});

describe('entry counts agree with readelf -r and sizes with readelf -S', () => {
  for (const version of ['6.1.170', '6.12.117'] as const) {
    it.each(MODULES)(`${version} %s`, (module) => {
      const path = debianModule(version, module);
      const sections = new Map(readelfSections(path).map((s) => [s.name, s]));
      const relocs = new Map<string, number>();
      for (const r of readelfRelocations(path)) relocs.set(r.section, (relocs.get(r.section) ?? 0) + 1);
      const found = Object.values(sizesOf(path));
      expect(found.length).toBeGreaterThan(0);
      for (const s of found) {
        const layout = X86_SPECIAL_SECTIONS.find((l) => l.section === s.section)!;
        expect(s.problem, `${s.section}`).toBeUndefined();
        expect(s.size).toBe(sections.get(s.section)!.size);
        const oracle = relocs.get(`.rela${s.relocationsFrom}`);
        expect(s.relocations, s.section).toBe(oracle);
        expect(s.entries! * s.relocationsPerEntry).toBe(oracle);
        expect(s.entries! * s.entrySize!).toBe(s.size);
        expect(layout.layouts.map((l) => l.size)).toContain(s.entrySize);
      }
    });
  }
});

describe('the layouts are the kernels\' own (pahole on the BTF of Debian vmlinux)', () => {
  const structs: [string, string][] = [
    ['.altinstructions', 'alt_instr'],
    ['__ex_table', 'exception_table_entry'],
    ['__bug_table', 'bug_entry'],
    ['__jump_table', 'jump_entry'],
    ['.static_call_sites', 'static_call_site'],
    ['.parainstructions', 'paravirt_patch_site'],
    ['.orc_unwind', 'orc_entry'],
  ];
  it.each([
    ['6.1.170', { '.altinstructions': 12, '.parainstructions': 16 }],
    ['6.12.117', { '.altinstructions': 14, '.parainstructions': undefined }],
  ] as const)('%s', (version: Version, differing) => {
    const vmlinux = debianVmlinux(version);
    const kvmAmd = sizesOf(kvm(version, 'kvm-amd'));
    for (const [section, struct] of structs) {
      const expected = (differing as Record<string, number | undefined>)[section];
      if (section in differing && expected === undefined) {
        // v6.8 removed paravirt patching: no struct, no section.
        expect(paholeSize(vmlinux, struct)).toBeUndefined();
        expect(kvmAmd[section]).toBeUndefined();
        continue;
      }
      const size = paholeSize(vmlinux, struct);
      expect(kvmAmd[section]!.entrySize, struct).toBe(size);
      if (expected !== undefined) expect(size).toBe(expected);
      expect(X86_SPECIAL_SECTIONS.find((l) => l.section === section)!.layouts.map((l) => l.size)).toContain(size);
    }
  });
});

describe('__ex_table: fixed 12-byte entries, relocations per entry tell the layout', () => {
  it.each([
    ['6.1.170', 'arch/x86/kvm/kvm.ko'],
    ['6.12.117', 'arch/x86/kvm/kvm.ko'],
  ] as const)('%s %s: 2 relocations per entry (v5.16 46d28947d987)', (version, module) => {
    const elf = ElfFile.open(debianModule(version, module));
    const r = relocationsPerEntry(elf, '__ex_table', 12)!;
    expect(r.relocationsPerEntry).toBe(2);
    expect(r.entries * 12).toBe(r.size);
  });

  it('a built-tree object (6.1.170 arch/x86/lib/copy_user_64.o) too', () => {
    const elf = ElfFile.open(treeObject('6.1.170', 'arch/x86/lib/copy_user_64.o'));
    expect(relocationsPerEntry(elf, '__ex_table', 12)).toMatchObject({ entries: 52, relocations: 104, relocationsPerEntry: 2 });
  });

  it('with the wrong count per entry, the disagreement is stated, not guessed over', () => {
    const elf = ElfFile.open(kvm('6.1.170', 'kvm-amd'));
    // 19 entries × 2 relocations = 38, not a multiple of 3.
    const three = inferEntrySize(elf, '__ex_table', 3)!;
    expect(three.entrySize).toBeUndefined();
    expect(three.problem).toBe('38 relocations is not a multiple of 3 per entry');
    // 64 alternatives × 2 = 128 relocations; one per entry would make 6-byte entries, the first holding both of entry 0's.
    const one = inferEntrySize(elf, '.altinstructions', 1)!;
    expect(one.entrySize).toBeUndefined();
    expect(one.problem).toBe('6-byte entries do not fit the relocations: entry 0 carries 2 relocations');
  });

  it('a section the object lacks is undefined; a linked file is refused', () => {
    expect(inferEntrySize(ElfFile.open(debianModule('6.1.170', 'crypto/gcm.ko')), '.altinstructions', 2)).toBeUndefined();
    const vmlinux = ElfFile.open(debianVmlinux('6.12.117'));
    expect(() => inferEntrySize(vmlinux, '.altinstructions', 2)).toThrow(/not a relocatable object/);
    vmlinux.close();
  });
});
