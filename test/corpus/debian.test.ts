import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/analyze.js';
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

  it('has exactly the imports BRIEF lists', () => {
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

  it('lists the CRC changes BRIEF lists, and not the unchanged ones', () => {
    const changed = report.findings.filter((f) => f.id === 'modversions-crc-changed').map((f) => f.symbol);
    for (const s of ['crypto_register_rng', '_printk', '___ratelimit']) expect(changed).toContain(s);
    for (const s of ['kfree_sensitive', 'ktime_get', 'fips_enabled', 'panic']) expect(changed).not.toContain(s);
    expect(changed).toEqual(['___ratelimit', '__stack_chk_fail', '_printk', 'crypto_register_rng', 'crypto_unregister_rng', 'module_layout']);
  });

  it('says the module is built into 6.12, so it cannot replace it', () => {
    const builtin = report.findings.find((f) => f.id === 'module-now-builtin')!;
    expect(builtin.evidence.map((e) => e.location)).toEqual(['compile unit crypto/jitterentropy.c', 'compile unit crypto/jitterentropy-kcapi.c']);
    expect(report.kernel.release).toBe('6.12.117+deb12-amd64');
    expect(report.verdict).toBe('will-not-link');
  });

  it('reads a small part of the 354 MB vmlinux', async () => {
    const analysis = await analyze([JITTER_61()], { kernel: debianKernel('6.12.117') });
    const source = analysis.kernel.vmlinux.source as FileSource;
    expect(source.size).toBeGreaterThan(300e6);
    expect(source.bytesRead).toBeLessThan(40e6);
  });
});

describe('the same module against Debian 6.1.192 (same stable series)', async () => {
  const { report } = await checkJson([JITTER_61(), '--kernel', debianKernel('6.1.192')]);

  it('links: every import is exported; the module it replaces is found by name', () => {
    expect(summary(report).filter((s) => s.startsWith('link'))).toEqual([]);
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
