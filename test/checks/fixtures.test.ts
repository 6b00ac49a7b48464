import { describe, expect, it } from 'vitest';
import { FROZEN_DRIVER, FROZEN_MODULE, NEW_KERNEL, OLD_KERNEL } from '../support/paths.js';
import { checkJson, summary } from '../support/run.js';

describe('frozen built-in object (old drivers/rng_driver.o) into the new kernel build directory', async () => {
  const { status, report } = await checkJson([FROZEN_DRIVER, '--kernel', NEW_KERNEL]);

  it('finds exactly the failure modes the fixture kernel was written with', () => {
    expect(summary(report)).toEqual([
      'link duplicate-definition rng_debug',
      'link orphaned-reference rng_driver_ready',
      'link undefined-symbol buf_alloc',
      'link undefined-symbol helper_count',
      'link undefined-symbol rng_core_legacy',
      // rank 0: storage the object owns, an imported variable
      'runtime layout-changed struct rate_state at rs, ratelimit_check',
      'runtime variable-type-changed rng_threshold',
      // rank 1: by value, or the calling convention itself
      'runtime enum-changed enum rng_mode at rng_set_mode',
      'runtime layout-changed struct rng_req at rng_submit',
      'runtime prototype-changed log_event',
      'runtime prototype-changed rng_driver_init',
      'runtime prototype-changed rng_submit',
      // Build primitives of the old → new fixture pair (IBT, call padding, call-depth tracking, flags).
      'runtime compiler-flag-changed -fcf-protection',
      'runtime function-padding-missing seed',
      'runtime landing-pad-missing alg at alg',
      'runtime mitigation-missing -',
      'runtime symbol-type-changed event_count',
      'runtime unresolved-weak-reference optional_hook',
      'review compiler-flag-changed -funsigned-char',
    ]);
    expect(report.verdict).toBe('will-not-link');
    expect(report.mode).toBe('built-in');
    expect(status).toBe(1);
  });

  it('knows what the object replaces and where the rest of the kernel needs it', () => {
    expect(report.frozen[0]!.replaces).toEqual({ found: true, name: 'drivers/rng_driver.o', how: 'same-path', target: 'vmlinux' });
    const orphan = report.findings.find((f) => f.id === 'orphaned-reference')!;
    expect(orphan.evidence).toContainEqual({ label: 'referenced by', file: 'init/main.o', detail: 'from the other objects of vmlinux.a' });
  });

  it('suggests the rename, and says when a symbol was made static', () => {
    const bufAlloc = report.findings.find((f) => f.symbol === 'buf_alloc')!;
    expect(bufAlloc.candidates[0]).toMatchObject({ name: 'buf_alloc_noprof', reason: 'adds the suffix _noprof; same prototype void *(long unsigned int, unsigned int)' });
    expect(bufAlloc.after).toBe('not found; probably renamed to buf_alloc_noprof');
    expect(bufAlloc.evidence[0]).toMatchObject({ label: 'reference', file: FROZEN_DRIVER, section: '.text', symbol: 'gen', detail: 'R_X86_64_PLT32' });
    const helper = report.findings.find((f) => f.symbol === 'helper_count')!;
    expect(helper.message).toBe('helper_count is not defined in the new kernel (it still exists, but only as a static symbol)');
    expect(helper.evidence).toContainEqual(expect.objectContaining({ label: 'new kernel', section: '.text', symbol: 'helper_count' }));
  });

  it('resolves retpoline thunks from the library archive it would pull in', () => {
    expect(report.findings.some((f) => f.symbol === '__x86_indirect_thunk_rax')).toBe(false);
  });
});

describe('frozen module (old rng_mod.ko) against the new kernel', async () => {
  const { report } = await checkJson([FROZEN_MODULE, '--kernel', NEW_KERNEL]);

  it('finds every module-specific failure', () => {
    expect(summary(report)).toEqual([
      'link duplicate-definition crc_helper at crc_helper',
      'link export-gpl-only register_rng',
      'link export-namespace rng_stat_read',
      'link module-struct-size __this_module',
      'link modversions-crc-changed log_event at log_event',
      'link not-exported core_internal_state',
      'link undefined-symbol buf_alloc',
      'link undefined-symbol helper_count',
      'runtime prototype-changed log_event',
      'runtime compiler-flag-changed -fcf-protection',
      'runtime function-padding-missing gen',
      'runtime landing-pad-missing alg at alg',
      'runtime mitigation-missing -',
      'review compiler-flag-changed -funsigned-char',
      'review orphaned-reference rng_mod_api at rng_mod_api',
    ]);
    expect(report.mode).toBe('module');
    expect(report.use).toBe('as-is');
    expect(report.frozen[0]!.replaces).toMatchObject({ found: true, name: 'module drivers/rng_mod', how: 'module-name' });
  });

  it('reports the CRC change with both checksums, where each was read, and what explains it', () => {
    const crc = report.findings.find((f) => f.id === 'modversions-crc-changed')!;
    expect([crc.before, crc.after]).toEqual(['0xecd0cdd0', '0xbec0bcbf']);
    expect(crc.sites.map((s) => [s.symbol, s.detail, s.evidence.map((e) => e.label)])).toEqual([['log_event', '0xecd0cdd0 → 0xbec0bcbf', ['frozen module', 'new kernel export']]]);
    expect(crc.message).toBe(
      'the loader refuses the module: it disagrees about version of symbol log_event (0xecd0cdd0 in __versions, 0xbec0bcbf in the new kernel); explained by changes a caller can feel: log_event (arguments 1 → 2, +1 more)',
    );
  });

  it('relinked, the CRC change is information and the loader gates do not apply', async () => {
    const relinked = await checkJson([FROZEN_MODULE, '--kernel', NEW_KERNEL, '--relink']);
    expect(summary(relinked.report).filter((s) => /modversions|module-struct/.test(s))).toEqual(['info modversions-crc-changed log_event at log_event']);
    expect(relinked.report.findings.find((f) => f.id === 'modversions-crc-changed')!.message).toBe(
      "the kernel's own checksum for log_event changed (0xecd0cdd0 → 0xbec0bcbf); relinked, modpost writes the new one: explained by changes a caller can feel: log_event (arguments 1 → 2, +1 more)",
    );
  });
});

describe('clean misses: the frozen objects against the kernel they were built in', async () => {
  it('the built-in object relinks into its own old kernel without findings', async () => {
    const { status, report } = await checkJson([FROZEN_DRIVER, '--kernel', OLD_KERNEL]);
    expect(summary(report)).toEqual(['runtime unresolved-weak-reference optional_hook']);
    expect(report.verdict).toBe('at-risk');
    expect(status).toBe(1);
  });

  it('the module loads into its own old kernel without findings', async () => {
    const { status, report } = await checkJson([FROZEN_MODULE, '--kernel', OLD_KERNEL]);
    expect(summary(report)).toEqual([]);
    expect(report.verdict).toBe('relinkable');
    expect(status).toBe(0);
  });
});
