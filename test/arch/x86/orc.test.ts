import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareOrcHeaders, orcHashOfSource, orcTables, readOrcHeader } from '../../../src/arch/x86/orc.js';
import { ElfFile, FileSource } from '../../../src/elf/index.js';
import { readelfRelocations, readelfSections } from '../../support/readelf.js';
import { debianModule, debianVmlinux, MODULES, treeObject, treeSource } from './corpus.js';

/** readelf -x as the oracle for the header bytes. */
function readelfHex(path: string, section: string): string {
  const text = execFileSync('readelf', ['-x', section, path], { encoding: 'utf8' });
  return [...text.matchAll(/^\s+0x[0-9a-f]+ ((?:[0-9a-f]{2,8} ){1,4})/gm)].map((m) => m[1]!.replace(/ /g, '')).join('');
}

describe('.orc_header (v6.4 b9f174c811e3)', () => {
  it('6.12.117: present in every module and in vmlinux, all equal, and equal to readelf -x', () => {
    const vmlinux = ElfFile.open(debianVmlinux('6.12.117'));
    const kernel = readOrcHeader(vmlinux)!;
    expect(kernel.size).toBe(20);
    expect(kernel.hash).toBe(readelfHex(debianVmlinux('6.12.117'), '.orc_header'));
    for (const m of MODULES) {
      const elf = ElfFile.open(debianModule('6.12.117', m));
      const c = compareOrcHeaders(elf, vmlinux);
      expect(c.comparison, m).toBe('equal');
      expect(c.object!.hash).toBe(readelfHex(debianModule('6.12.117', m), '.orc_header'));
      elf.close();
    }
    // Reading it cost the ELF header, the section table and 20 bytes, not the 354 MB.
    expect((vmlinux.source as FileSource).bytesRead).toBeLessThan(1 << 20);
    vmlinux.close();
  });

  it('it is the SHA-1 scripts/orc_hash.sh computes from orc_types.h (and the built tree generated)', () => {
    const source = readFileSync(treeSource('6.12.117', 'arch/x86/include/asm/orc_types.h'), 'latin1');
    const ours = orcHashOfSource(source);
    const script = execFileSync('sh', [treeSource('6.12.117', 'scripts/orc_hash.sh')], { input: source, encoding: 'utf8' });
    const bytes = (text: string) => [...text.matchAll(/0x([0-9a-f]{2})/g)].map((m) => m[1]).join('');
    expect(ours).toBe(bytes(script));
    expect(ours).toBe(bytes(readFileSync(treeObject('6.12.117', 'arch/x86/include/generated/asm/orc_hash.h'), 'latin1')));
    expect(ours).toBe(readOrcHeader(ElfFile.open(debianVmlinux('6.12.117')))!.hash);
    // 6.1's orc_entry (type:2, end:1) hashes differently: the header would have caught it.
    const old = orcHashOfSource(readFileSync(treeSource('6.1.170', 'arch/x86/include/asm/orc_types.h'), 'latin1'));
    const oldScript = execFileSync('sh', [treeSource('6.12.117', 'scripts/orc_hash.sh')], { input: readFileSync(treeSource('6.1.170', 'arch/x86/include/asm/orc_types.h')), encoding: 'utf8' });
    expect(old).toBe(bytes(oldScript));
    expect(old).not.toBe(ours);
  });

  it('6.1.170: absent from modules and vmlinux; a 6.1 module against the 6.12 kernel is "kernel-only"', () => {
    const vmlinux61 = ElfFile.open(debianVmlinux('6.1.170'));
    const vmlinux612 = ElfFile.open(debianVmlinux('6.12.117'));
    expect(readOrcHeader(vmlinux61)).toBeUndefined();
    for (const m of MODULES) {
      const elf = ElfFile.open(debianModule('6.1.170', m));
      expect(readOrcHeader(elf), m).toBeUndefined();
      expect(readelfSections(debianModule('6.1.170', m)).some((s) => s.name === '.orc_header')).toBe(false);
      expect(compareOrcHeaders(elf, vmlinux612).comparison).toBe('kernel-only');
      expect(compareOrcHeaders(elf, vmlinux61).comparison).toBe('neither');
    }
    const m612 = ElfFile.open(debianModule('6.12.117', 'crypto/gcm.ko'));
    expect(compareOrcHeaders(m612, vmlinux61).comparison).toBe('object-only');
  });
});

describe('.orc_unwind entries vs .orc_unwind_ip', () => {
  for (const version of ['6.1.170', '6.12.117'] as const) {
    it.each(MODULES)(`${version} %s: one orc_entry per ip, one relocation per ip (readelf)`, (m) => {
      const path = debianModule(version, m);
      const t = orcTables(ElfFile.open(path))!;
      expect(t.consistent).toBe(true);
      expect(t.unwindEntries).toBe(t.ipEntries);
      expect(t.ipRelocations).toBe(readelfRelocations(path).filter((r) => r.section === '.rela.orc_unwind_ip').length);
      const sections = new Map(readelfSections(path).map((s) => [s.name, s.size]));
      expect(t.unwindSize).toBe(sections.get('.orc_unwind'));
      expect(t.ipSize).toBe(sections.get('.orc_unwind_ip'));
    });
  }

  it.each([
    ['6.1.170', 0x232800 / 6],
    ['6.12.117', 0x284cee / 6],
  ] as const)('%s vmlinux: %i entries, no relocations counted for a linked file', (version, entries) => {
    const t = orcTables(ElfFile.open(debianVmlinux(version)))!;
    expect(t).toMatchObject({ unwindEntries: entries, ipEntries: entries, ipRelocations: undefined, consistent: true });
  });

  it('a file without ORC has no tables', () => {
    expect(orcTables(ElfFile.open(treeObject('6.1.170', 'arch/x86/lib/copy_user_64.o')))).toBeUndefined();
  });
});
