import { describe, expect, it } from 'vitest';
import type { ReportFinding } from '../../src/report/report.js';
import { debianKernel, debianModule } from '../support/corpus.js';
import { checkJson } from '../support/run.js';

/** The build-primitive findings of a report (those a catalogue entry produced), as "id signature symbol". */
const primitives = (findings: readonly ReportFinding[]) => findings.filter((f) => f.signature !== null);
const ids = (findings: readonly ReportFinding[]) => [...new Set(primitives(findings).map((f) => `${f.id} ${f.signature}`))].sort();
/** The -dbg copies Debian ships carry no signature: loaded as is, every one gets this (its own page and test: test/corpus/load-gates.test.ts). */
const UNSIGNED = 'module-signature-rejected module-signature';

const jitter = () => debianModule('6.1.170', 'crypto/jitterentropy_rng.ko');
const kvm = (name: string) => debianModule('6.1.170', `arch/x86/kvm/${name}.ko`);

describe('Debian 6.1.170 jitterentropy_rng.ko against 6.12.117: build primitives', async () => {
  const { report } = await checkJson([jitter(), '--kernel', debianKernel('6.12.117')]);
  const found = primitives(report.findings);

  it('names every rng_alg callback without endbr64, and says IBT is enforced', () => {
    // One root cause (built without endbr64), each place that keeps function addresses a site.
    const pads = found.filter((f) => f.id === 'landing-pad-missing');
    expect(pads).toHaveLength(1);
    const [f] = pads;
    expect(f!.message).toBe(
      '6 functions whose addresses 2 places keep (__this_module and jent_alg) have no endbr64 at the entry: the new kernel enforces X86_KERNEL_IBT, so the first indirect call into each faults',
    );
    expect(f!.evidence).toContainEqual(expect.objectContaining({ label: 'new kernel', detail: 'CONFIG_X86_KERNEL_IBT=y' }));
    expect(f!.severity).toBe('runtime');
    // The module loader calls init and exit indirectly too.
    expect(f!.sites.map((s) => [s.symbol, s.detail])).toEqual([
      ['__this_module', 'holds the addresses of __this_module.exit → cleanup_module and __this_module.init → init_module'],
      ['jent_alg', 'holds the addresses of jent_alg.base.cra_exit → jent_kcapi_cleanup, jent_alg.base.cra_init → jent_kcapi_init, jent_alg.generate → jent_kcapi_random and jent_alg.seed → jent_kcapi_reset'],
    ]);
    expect(f!.sites[1]!.evidence[0]).toMatchObject({ label: 'frozen object', section: '.data', symbol: 'jent_alg' });
  });

  it('reports the missing call padding', () => {
    const padding = found.find((f) => f.id === 'function-padding-missing')!;
    expect(padding.message).toMatch(/^14 of 14 functions the kernel can call have fewer than 16 bytes of NOP padding before their entry/);
    expect(padding.after).toBe('16 NOP bytes before every function (-fpatchable-function-entry=16,16, __pfx_<name>)');
  });

  it('reports -fcf-protection=none against =branch', () => {
    const flag = found.find((f) => f.id === 'compiler-flag-changed' && f.symbol === '-fcf-protection')!;
    expect([flag.before, flag.after]).toEqual(['-fcf-protection=none', '-fcf-protection=branch']);
  });

  it('reports struct module 896 → 1280 bytes from the new BTF', () => {
    const size = found.find((f) => f.id === 'module-struct-size')!;
    expect([size.severity, size.before, size.after]).toEqual(['link', 'struct module: 896 bytes', 'struct module: 1280 bytes']);
    expect(size.evidence[1]).toMatchObject({ label: 'new kernel', detail: 'struct module: 1280 bytes' });
  });

  it('finds the stack-protector guard unchanged (%gs:40 on both) and the vermagic options equal', () => {
    expect(found.filter((f) => f.id === 'stack-protector-changed' || f.id === 'vermagic-mismatch')).toEqual([]);
  });

  it('reports exactly these primitives, each from its catalogue entry', () => {
    expect(ids(report.findings)).toEqual([
      'compiler-flag-changed plain-char-signedness',
      'compiler-flag-changed x86-cf-protection-flag',
      'function-padding-missing x86-function-padding',
      'landing-pad-missing x86-ibt-landing-pads',
      'mitigation-missing x86-call-depth-tracking',
      UNSIGNED,
      'module-struct-size module-struct',
      'orc-format-changed x86-orc-format',
      'split-btf-mismatch module-split-btf',
    ]);
    expect(report.catalogue).toMatchObject({ version: '1.3.0', entries: 44, directory: null });
  });
});

describe('the same module against 6.1.192 (same stable series)', async () => {
  const { report } = await checkJson([jitter(), '--kernel', debianKernel('6.1.192')]);

  it('reports none of the IBT, padding, flag, struct module or canary findings', () => {
    // Only the module's BTF, split on 6.1.170's vmlinux, does not fit 6.1.192's.
    expect(ids(report.findings)).toEqual([UNSIGNED, 'split-btf-mismatch module-split-btf']);
  });
});

describe('Debian 6.1.170 kvm-intel.ko and kvm-amd.ko against 6.12.117', async () => {
  const args = (m: string) => [kvm(m), '--kernel', debianKernel('6.12.117'), '--built-with', debianKernel('6.1.170'), '--type-source', 'none'];
  const intel = (await checkJson(args('kvm-intel'))).report;
  const amd = (await checkJson(args('kvm-amd'))).report;

  it.each([
    ['kvm-intel', intel],
    ['kvm-amd', amd],
  ])('%s: .altinstructions entries 12 → 14 bytes, .parainstructions unread', (_, report) => {
    const format = report.findings.find((f) => f.id === 'special-section-format' && f.signature === 'x86-alternatives-format')!;
    expect(format.after).toBe('struct alt_instr: 14 bytes');
    expect(format.before).toMatch(/ entries × 12 bytes$/);
    expect(report.findings.some((f) => f.id === 'special-section-unread' && f.signature === 'x86-paravirt-patching')).toBe(true);
  });

  it('kvm-intel: feature 370 was CLEAR_CPU_BUF and is SGX_EDECCSSA now; 114 was LFENCE_RDTSC and is CLEAR_CPU_BUF now', () => {
    const moved = intel.findings.filter((f) => f.id === 'cpu-feature-renumbered');
    expect(moved.map((f) => [f.symbol, f.before, f.after])).toEqual([
      ['X86_FEATURE_CLEAR_CPU_BUF', '370 = CLEAR_CPU_BUF', '370 = SGX_EDECCSSA'],
      ['X86_FEATURE_LFENCE_RDTSC', '114 = LFENCE_RDTSC', '114 = CLEAR_CPU_BUF'],
    ]);
    expect(moved[0]!.message).toContain('first at vmx_update_fb_clear_dis+0x5');
  });

  it.each([
    ['kvm-intel', intel],
    ['kvm-amd', amd],
  ])('%s: the per-CPU symbols 6.12 no longer has', (_, report) => {
    const percpu = report.findings.filter((f) => f.id === 'percpu-symbol-changed');
    expect(percpu.map((f) => f.symbol)).toEqual(['__preempt_count', 'cpu_number', 'current_task']);
    expect(percpu.find((f) => f.symbol === 'current_task')!.after).toBe('%gs:pcpu_hot, %gs:const_pcpu_hot');
    expect(percpu.every((f) => f.severity === 'link')).toBe(true);
  });

  it('without --built-with, the feature numbers are only a question for a human', async () => {
    const { report } = await checkJson([kvm('kvm-intel'), '--kernel', debianKernel('6.12.117'), '--type-source', 'none']);
    const moved = report.findings.filter((f) => f.id === 'cpu-feature-renumbered');
    expect(moved.map((f) => f.severity)).toEqual(['review']);
    expect(moved[0]!.message).toContain('370 SGX_EDECCSSA');
  });
});

describe('Debian 6.1.170 gcm.ko on 6.12.117', async () => {
  const { report } = await checkJson([debianModule('6.1.170', 'crypto/gcm.ko'), '--kernel', debianKernel('6.12.117'), '--type-source', 'none']);

  it('reports its split BTF as built on another base', () => {
    const btf = report.findings.find((f) => f.id === 'split-btf-mismatch')!;
    expect(btf.message).toMatch(/^the module's split BTF was built on another vmlinux \(1 string-length, \d+ name-inside-string, \d+ kind-contradiction\)/);
    expect(btf.before).toBe('base strings: 1789996 bytes');
  });

  it('uses the new gcm.ko as the reference object for its compiler flags', () => {
    const flag = report.findings.find((f) => f.id === 'compiler-flag-changed' && f.symbol === '-fcf-protection')!;
    expect(flag.evidence[1]).toMatchObject({ label: 'new kernel', file: expect.stringMatching(/6\.12\.117.*crypto\/gcm\.ko$/), detail: 'DW_AT_producer of the reference object' });
  });

  it('and the same module on its own kernel has no build-primitive finding but the missing signature of the -dbg copy', async () => {
    const own = await checkJson([debianModule('6.1.170', 'crypto/gcm.ko'), '--kernel', debianKernel('6.1.170'), '--type-source', 'none']);
    expect(ids(own.report.findings)).toEqual([UNSIGNED]);
  });
});

describe('clean misses on real data', () => {
  const MODULES = ['crypto/gcm.ko', 'arch/x86/kvm/kvm.ko', 'arch/x86/kvm/kvm-intel.ko', 'arch/x86/kvm/kvm-amd.ko', 'arch/x86/crypto/aesni-intel.ko'];

  it.each(MODULES)('6.12.117 %s on its own kernel: no build-primitive finding but the missing signature of the -dbg copy', async (m) => {
    const { report } = await checkJson([debianModule('6.12.117', m), '--kernel', debianKernel('6.12.117'), '--built-with', debianKernel('6.12.117'), '--type-source', 'none']);
    expect(ids(report.findings)).toEqual([UNSIGNED]);
  });

  it.each(MODULES)('6.1.170 %s on 6.1.192 (same series): only its BTF, split on 6.1.170, and the missing signature', async (m) => {
    const { report } = await checkJson([debianModule('6.1.170', m), '--kernel', debianKernel('6.1.192'), '--built-with', debianKernel('6.1.170'), '--type-source', 'none']);
    expect(ids(report.findings)).toEqual([UNSIGNED, 'split-btf-mismatch module-split-btf']);
  });
});
