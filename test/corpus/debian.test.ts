import { describe, expect, it } from 'vitest';
import { analyzeRun } from '../../src/run/analyze.js';
import { ElfFile, FileSource } from '../../src/elf/index.js';
import { readVmlinuxExports } from '../../src/kernel/ksymtab.js';
import { readModuleSymvers } from '../../src/kernel/symvers.js';
import { debianKernel, debianModule, debianSymvers, debianVmlinux } from '../support/corpus.js';
import { checkJson, summary } from '../support/run.js';

const JITTER_61 = () => debianModule('6.1.170', 'crypto/jitterentropy_rng.ko');
const IMPORTS = ['___ratelimit', '__fentry__', '__kmalloc', '__stack_chk_fail', '__x86_return_thunk', '_printk', '_raw_spin_lock', '_raw_spin_unlock',
  'crypto_register_rng', 'crypto_unregister_rng', 'fips_enabled', 'kfree_sensitive', 'ktime_get', 'memcpy', 'panic'];

describe('Debian 6.1.170 jitterentropy_rng.ko against Debian 6.12.117', async () => {
  const { report } = await checkJson([JITTER_61(), '--kernel', debianKernel('6.12.117')]);

  it('has exactly the 15 imports of Debian 6.1.170 jitterentropy_rng.ko', () => {
    const module = ElfFile.open(JITTER_61());
    const undefinedNames = module.symbols().filter((s) => s.shndx === 0 && s.name && s.binding !== 'local').map((s) => s.name).sort();
    expect(undefinedNames).toEqual(IMPORTS);
  });

  it('reports __kmalloc undefined, with __kmalloc_noprof as the top candidate, and no other import', () => {
    const undefinedSymbols = report.findings.filter((f) => f.id === 'undefined-symbol' || f.id === 'not-exported');
    expect(undefinedSymbols.map((f) => f.symbol)).toEqual(['__kmalloc']);
    expect(undefinedSymbols[0]!.candidates[0]!.name).toBe('__kmalloc_noprof');
    expect(undefinedSymbols[0]!.after).toBe('not found; probably renamed to __kmalloc_noprof');
  });

  it('lists the CRCs that changed from Debian 6.1.170 to 6.12.117, and not the unchanged ones', () => {
    const changed = report.findings.filter((f) => f.id === 'modversions-crc-changed').flatMap((f) => f.sites.map((s) => s.symbol)).sort();
    for (const s of ['crypto_register_rng', '_printk', '___ratelimit']) expect(changed).toContain(s);
    for (const s of ['kfree_sensitive', 'ktime_get', 'fips_enabled', 'panic']) expect(changed).not.toContain(s);
    expect(changed).toEqual(['___ratelimit', '__stack_chk_fail', '_printk', 'crypto_register_rng', 'crypto_unregister_rng', 'module_layout']);
  });

  it('says the module is built into 6.12 (modules.builtin), so it cannot replace it', () => {
    const builtin = report.findings.find((f) => f.id === 'module-now-builtin')!;
    expect(builtin.evidence).toEqual([
      { label: 'new kernel', file: expect.stringMatching(/modules\/6\.12\.117\+deb12-amd64\/modules\.builtin$/), location: expect.stringMatching(/^line \d+$/), detail: 'kernel/crypto/jitterentropy_rng.ko' },
    ]);
    expect(report.kernel.release).toBe('6.12.117+deb12-amd64');
    expect(report.verdict).toBe('will-not-link');
  });

  it('without modules.builtin, finds the module\'s compile units in vmlinux DWARF instead', async () => {
    const explicit = await checkJson([JITTER_61(), '--vmlinux', debianVmlinux('6.12.117'), '--symvers', debianSymvers('6.12.117')]);
    const builtin = explicit.report.findings.find((f) => f.id === 'module-now-builtin')!;
    expect(builtin.evidence.map((e) => e.location)).toEqual(['compile unit crypto/jitterentropy.c', 'compile unit crypto/jitterentropy-kcapi.c']);
    // The link and interface findings are the same; without a .config the build-primitive
    // checks that need one say they could not run instead of passing.
    const linkAndInterface = (r: typeof report) => summary({ ...r, findings: r.findings.filter((f) => f.signature === null && f.id !== 'primitive-check-incomplete') });
    expect(linkAndInterface(explicit.report)).toEqual(linkAndInterface(report));
    const incomplete = explicit.report.findings.find((f) => f.id === 'primitive-check-incomplete')!;
    expect([incomplete.severity, incomplete.message]).toEqual(['review', '9 build-primitive checks could not run: the new kernel has no .config (give --config): the build-primitive checks need it']);
  });

  it('reads a small part of the 354 MB vmlinux', async () => {
    const { kernel } = await analyzeRun([JITTER_61()], { kernel: debianKernel('6.12.117') });
    const source = kernel.vmlinux.source as FileSource;
    expect(source.size).toBeGreaterThan(300e6);
    expect(source.bytesRead).toBeLessThan(40e6);
  });
});

describe('the same module against Debian 6.1.192 (same stable series)', async () => {
  const { report } = await checkJson([JITTER_61(), '--kernel', debianKernel('6.1.192')]);

  it('links: every import is exported; the module it replaces is found by name', () => {
    // As is, the three changed CRCs are load refusals (the loader compares them); nothing else fails.
    // They moved for nothing a caller can feel: one finding, the three imports its sites.
    expect(summary(report).filter((s) => s.startsWith('link'))).toEqual([
      'link modversions-crc-changed - at crypto_register_rng, crypto_unregister_rng, module_layout',
    ]);
    expect(report.frozen[0]!.replaces).toEqual({ found: true, name: 'module crypto/jitterentropy_rng', how: 'module-name', target: 'module crypto/jitterentropy_rng' });
  });
});

describe("vmlinux's own export tables agree with Module.symvers", () => {
  it.each(['6.1.170', '6.12.117'])('%s: every vmlinux export with its GPL-ness, namespace and CRC', (version) => {
    const fromSymvers = readModuleSymvers(debianSymvers(version)).all()
      .filter((e) => e.module === 'vmlinux')
      .map((e) => `${e.name} ${e.gplOnly} ${e.namespace ?? '-'} ${e.crc}`)
      .sort();
    const fromVmlinux = [...readVmlinuxExports(ElfFile.open(debianVmlinux(version))).values()]
      .map((e) => `${e.name} ${e.gplOnly} ${e.namespace ?? '-'} ${e.crc}`)
      .sort();
    expect(fromVmlinux.length).toBeGreaterThan(10_000);
    expect(fromVmlinux).toEqual(fromSymvers);
  });
});

describe('who in vmlinux references a compile unit, two ways', () => {
  it('Debian 6.1.192 keeps its relocations (--emit-relocs): they name the same units as the DWARF declarations', async () => {
    const { NewKernel } = await import('../../src/kernel/kernel.js');
    const { locateKernel } = await import('../../src/kernel/locate.js');
    const { referencesFromDeclarations, referencesFromRelocations } = await import('../../src/kernel/find-replacement.js');
    const kernel = new NewKernel(locateKernel({ kernel: debianKernel('6.1.192') }));
    const dwarf = kernel.dwarf()!;
    const unit = dwarf.compileUnitsNamedLike('crc32.c').find((u) => u.name === 'lib/crc32.c')!;
    const names = new Set(['crc32_le']);
    const units = (m: Map<string, { unit: string }[]>) => [...new Set((m.get('crc32_le') ?? []).map((r) => r.unit))].sort();
    const fromRelocations = units(referencesFromRelocations(kernel, dwarf, unit.header, names));
    expect(fromRelocations.length).toBeGreaterThan(3);
    expect(fromRelocations).toEqual(units(referencesFromDeclarations(dwarf, unit.header, names)));
  });
});

describe('a built-in frozen object against a Debian vmlinux without relocations (6.12.117)', () => {
  it('finds the compile unit it replaces and the same five link errors the real tree relink reports', async () => {
    const { builtTree } = await import('../support/corpus.js');
    const { join } = await import('node:path');
    const frozen = join(builtTree('6.1.170'), 'crypto', 'jitterentropy-kcapi.o');
    const { report } = await checkJson([frozen, '--kernel', debianKernel('6.12.117')]);
    expect(report.frozen[0]!.replaces).toEqual({ found: true, name: 'compile unit crypto/jitterentropy-kcapi.c', how: 'compile-unit', target: 'vmlinux' });
    expect(summary(report).filter((s) => s.startsWith('link'))).toEqual([
      'link orphaned-reference jent_hash_time',
      'link orphaned-reference jent_kvzalloc',
      'link orphaned-reference jent_kvzfree',
      'link orphaned-reference jent_read_random_block',
      'link undefined-symbol __kmalloc',
    ]);
    // The siblings drifted apart: the new jitterentropy.o takes more arguments than the frozen kcapi object passes.
    const prototypes = report.findings.filter((f) => f.id === 'prototype-changed').map((f) => `${f.symbol}: ${f.message.replace(/^.*machine level /, '')}`);
    expect(prototypes).toEqual(['jent_entropy_collector_alloc: argument count: 2 → 3', 'jent_entropy_init: argument count: 0 → 4']);
    const orphan = report.findings.find((f) => f.symbol === 'jent_hash_time')!;
    expect(orphan.evidence).toContainEqual({ label: 'referenced by', file: 'crypto/jitterentropy.c', detail: 'from declarations in the other compile units of vmlinux DWARF' });
  });
});
