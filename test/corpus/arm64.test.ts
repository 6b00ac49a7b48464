import { describe, expect, it } from 'vitest';
import { ElfFile } from '../../src/elf/index.js';
import { ET_DYN } from '../../src/elf/constants.js';
import { readVmlinuxExports } from '../../src/kernel/ksymtab.js';
import { readModuleSymvers } from '../../src/kernel/symvers.js';
import { NewKernel } from '../../src/kernel/kernel.js';
import { locateKernel } from '../../src/kernel/locate.js';
import { debianKernel, debianModule, debianSymvers, debianVmlinux } from '../support/corpus.js';
import { checkJson, summary } from '../support/run.js';
import { execFileSync } from 'node:child_process';
import { inferEntrySize } from '../../src/arch/x86/entries.js';
import { readelfSymbols } from '../support/readelf.js';

// Debian's arm64 kernels, the counterparts of debian.test.ts's amd64 ones.
const JITTER_61 = () => debianModule('6.1.170-arm64', 'crypto/jitterentropy_rng.ko');
// Unlike amd64's: no __fentry__ (arm64 ftrace uses patchable entries) or __x86_return_thunk,
// no _raw_spin_lock/unlock (arm64 inlines them: queued_spin_lock_slowpath is the call),
// memset and arch_timer_read_counter called, alt_cb_patch_nops for an alternative callback.
const IMPORTS = ['___ratelimit', '__kmalloc', '__stack_chk_fail', '_printk', 'alt_cb_patch_nops', 'arch_timer_read_counter', 'crypto_register_rng', 'crypto_unregister_rng',
  'fips_enabled', 'kfree_sensitive', 'ktime_get', 'memcpy', 'memset', 'panic', 'queued_spin_lock_slowpath'];

describe('Debian arm64 vmlinux is ET_DYN (linked -pie for KASLR)', () => {
  it.each(['6.1.170-arm64', '6.12.117-arm64'])('%s: opens as a kernel; its symbols are the link-time addresses readelf shows', (version) => {
    const kernel = new NewKernel(locateKernel({ kernel: debianKernel(version) }));
    expect(kernel.vmlinux.header.type).toBe(ET_DYN);
    // Its run-time pointers are R_AARCH64_RELATIVE entries in .rela.dyn, not --emit-relocs sections.
    expect(kernel.vmlinux.section('.rela.dyn')).toBeDefined();
    expect(kernel.vmlinux.section('.rela.text')).toBeUndefined();
    kernel.checkSystemMap();
    expect(kernel.release()).toBe(version === '6.1.170-arm64' ? '6.1.0-47-arm64' : '6.12.117+deb12-arm64');
    const names = ['linux_banner', 'crypto_register_rng', 'kfree_sensitive', 'system_certificate_list'];
    const oracle = readelfSymbols(debianVmlinux(version)).filter((s) => s.bind === 'GLOBAL' && names.includes(s.name));
    expect(oracle.map((s) => s.name).sort()).toEqual([...names].sort());
    for (const s of oracle) expect([s.name, kernel.global(s.name)?.value]).toEqual([s.name, s.value]);
  });

  it.each(['6.1.170-arm64', '6.12.117-arm64'])('%s: every vmlinux export with its GPL-ness, namespace and CRC, as Module.symvers has it', (version) => {
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

describe('Debian arm64 6.1.170 jitterentropy_rng.ko against Debian arm64 6.12.117', async () => {
  const { status, report } = await checkJson([JITTER_61(), '--kernel', debianKernel('6.12.117-arm64')]);

  it('has exactly the 15 imports of the arm64 module', () => {
    const module = ElfFile.open(JITTER_61());
    expect(module.machine).toBe('AArch64');
    const undefinedNames = module.symbols().filter((s) => s.shndx === 0 && s.name && s.binding !== 'local').map((s) => s.name).sort();
    expect(undefinedNames).toEqual(IMPORTS);
  });

  it('reports __kmalloc undefined with __kmalloc_noprof first, at its AArch64 call site (readelf -r: .text 0x1080, R_AARCH64_CALL26)', () => {
    const undefinedSymbols = report.findings.filter((f) => f.id === 'undefined-symbol' || f.id === 'not-exported');
    expect(undefinedSymbols.map((f) => f.symbol)).toEqual(['__kmalloc']);
    expect(undefinedSymbols[0]!.candidates.map((c) => c.name).slice(0, 2)).toEqual(['__kmalloc_noprof', '__kmalloc_large_noprof']);
    expect(undefinedSymbols[0]!.evidence).toContainEqual(expect.objectContaining({ label: 'reference', section: '.text', offset: '0x1080', symbol: 'jent_zalloc', detail: 'R_AARCH64_CALL26' }));
  });

  it('explains each changed CRC; alt_cb_patch_nops is the arm64-only one', () => {
    const crc = report.findings.find((f) => f.id === 'modversions-crc-changed')!;
    expect(crc.sites.map((s) => s.symbol)).toEqual(['___ratelimit', '__stack_chk_fail', '_printk', 'alt_cb_patch_nops', 'crypto_register_rng', 'crypto_unregister_rng', 'module_layout']);
    for (const s of ['kfree_sensitive', 'ktime_get', 'fips_enabled', 'panic', 'queued_spin_lock_slowpath']) expect(crc.sites.map((x) => x.symbol)).not.toContain(s);
  });

  it('finds the layout drift of the storage the module owns, and struct module grown 896 → 1280', () => {
    const owned = report.findings.filter((f) => f.id === 'layout-changed' && f.severity === 'runtime').map((f) => `${f.symbol}: ${f.message.replace(/ \(the frozen object.*$/, '')}`);
    expect(owned).toEqual([
      'struct mod_arch_specific: struct mod_arch_specific changed: size 32 → 40; init_ftrace_trampolines added at 32',
      'struct ratelimit_state: struct ratelimit_state changed: size 40 → 32; flags: offset 32 → 20; flags: long unsigned int (8 bytes) → unsigned int (4 bytes)',
      // arm64 only: CRYPTO_MINALIGN (ARCH_DMA_MINALIGN, 128 on arm64 6.1) shrank with v6.5's smaller kmalloc alignment.
      'struct rng_alg: struct rng_alg changed: size 512 → 416; base: offset 128 → 32',
    ]);
    const size = report.findings.find((f) => f.id === 'module-struct-size')!;
    expect([size.before, size.after]).toEqual(['struct module: 896 bytes', 'struct module: 1280 bytes']);
  });

  it('gives the whole picture, arm64 build primitives included; plain char is unsigned on arm64 either way', () => {
    expect(summary(report)).toEqual([
      'runtime module-now-builtin jitterentropy_rng',
      'link module-struct-size __this_module',
      'link modversions-crc-changed - at ___ratelimit, __stack_chk_fail, _printk, alt_cb_patch_nops, crypto_register_rng, crypto_unregister_rng, module_layout',
      'link undefined-symbol __kmalloc',
      'runtime layout-changed struct mod_arch_specific at __this_module, jent_alg, crypto_register_rng, crypto_unregister_rng',
      'runtime layout-changed struct ratelimit_state at _rs, ___ratelimit',
      'runtime layout-changed struct rng_alg at jent_alg, crypto_register_rng, crypto_unregister_rng',
      'runtime compiler-flag-changed -mbranch-protection',
      'runtime ftrace-entry-changed cleanup_module',
      'runtime stack-protector-changed -',
      'warning split-btf-mismatch -',
      'review layout-changed struct crypto_type at jent_alg, crypto_register_rng, crypto_unregister_rng',
      'review layout-changed struct crypto_instance at jent_alg',
      'review layout-changed struct crypto_rng at jent_alg, crypto_register_rng, crypto_unregister_rng',
      'review layout-changed struct crypto_tfm at jent_alg, crypto_register_rng, crypto_unregister_rng',
      'review layout-changed struct kernfs_node at __this_module, jent_alg',
      'review layout-changed struct kernfs_ops at __this_module',
      'review layout-changed struct srcu_data at __this_module',
      'review layout-changed struct srcu_struct at __this_module, jent_alg',
      'review layout-changed struct tracepoint at __this_module, jent_alg',
      // Told nothing of the kernel it was built in (--built-with), cap 26 cannot be confirmed (test/arch/arm64/cpucaps.test.ts).
      'review cpu-feature-renumbered -',
      'review module-signature-rejected -',
    ]);
    const canary = report.findings.find((f) => f.id === 'stack-protector-changed')!;
    expect([canary.before, canary.after]).toEqual(['task_struct.stack_canary at 1360', 'task_struct.stack_canary at 1384']);
    const pac = report.findings.find((f) => f.id === 'compiler-flag-changed')!;
    expect([pac.before, pac.after]).toEqual(['-mbranch-protection=pac-ret+leaf', '-mbranch-protection=pac-ret']);
    expect(report.kernel.release).toBe('6.12.117+deb12-arm64');
    expect([report.verdict, status]).toEqual(['will-not-link', 1]);
  });
});

describe('Debian arm64 6.1.170 jitterentropy_rng.ko against its own kernel', async () => {
  const { status, report } = await checkJson([JITTER_61(), '--kernel', debianKernel('6.1.170-arm64')]);

  it('is clean: replaces its own module, and only the missing signature (the -dbg copy has none) needs a look', () => {
    expect(report.frozen[0]!.replaces).toEqual({ found: true, name: 'module crypto/jitterentropy_rng', how: 'module-name', target: 'module crypto/jitterentropy_rng' });
    expect(summary(report)).toEqual(['review module-signature-rejected -']);
    expect(status).toBe(0);
  });

  it('a clean miss of the arm64 special-section formats, unchanged 6.1 → 6.12 (aegis128.ko: __bug_table 12-byte, __jump_table 16-byte entries, as readelf\'s sizes give)', async () => {
    const aegis = debianModule('6.1.170-arm64', 'crypto/aegis128.ko');
    const elf = ElfFile.open(aegis);
    expect(inferEntrySize(elf, '__bug_table', 2)).toMatchObject({ size: 0xc, relocations: 2, entrySize: 12 });
    expect(inferEntrySize(elf, '__jump_table', 3)).toMatchObject({ size: 0x20, relocations: 6, entrySize: 16 });
    const sections = execFileSync('readelf', ['-SW', aegis], { encoding: 'utf8' });
    expect(sections).toMatch(/ \.rela__bug_table\s+RELA\s+0+ [0-9a-f]+ 000030 18 /);
    expect(sections).toMatch(/ \.rela__jump_table\s+RELA\s+0+ [0-9a-f]+ 000090 18 /);
    const { report: against612 } = await checkJson([aegis, '--kernel', debianKernel('6.12.117-arm64')]);
    expect(against612.findings.filter((f) => ['arm64-bug-table', 'arm64-jump-labels', 'arm64-exception-table-format'].includes(f.signature ?? ''))).toEqual([]);
  });

  it('names, as coverage, each x86-64 entry that does not run on arm64 and why', () => {
    const notChecked = report.catalogue.notChecked!;
    expect(notChecked.map((n) => n.id)).toEqual([
      'objtool-noreturns', 'x86-64-stack-canary', 'x86-abi-flags', 'x86-alternatives-format', 'x86-bug-table', 'x86-call-depth-tracking', 'x86-cf-protection-flag',
      'x86-cpu-feature-numbers', 'x86-exception-table-format', 'x86-extable-types', 'x86-ftrace-entry', 'x86-function-padding', 'x86-ibt-landing-pads', 'x86-jump-labels',
      'x86-mitigation-flags', 'x86-orc-format', 'x86-paravirt-patching', 'x86-percpu-hot-variables', 'x86-retpolines', 'x86-return-thunks', 'x86-static-calls',
    ]);
    expect(notChecked.find((n) => n.id === 'x86-cpu-feature-numbers')).toEqual({ architecture: 'aarch64', id: 'x86-cpu-feature-numbers', why: "arm64's counterpart: arm64-cpucap-numbers" });
  });
});
