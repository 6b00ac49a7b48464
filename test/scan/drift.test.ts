import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NewKernel } from '../../src/kernel/kernel.js';
import { locateKernel } from '../../src/kernel/locate.js';
import { kernelDrift, renderDriftMarkdown } from '../../src/scan/drift.js';
import { FIXTURES } from '../support/paths.js';

const open = (dir: string) => new NewKernel(locateKernel({ kernel: join(FIXTURES, dir) }));

describe('kernel-side drift between two releases (the fixture kernels, fixtures/generate.sh)', () => {
  const drift = kernelDrift(open('old-kernel'), open('new-kernel'));

  it('lists the exports removed and counts the CRCs that moved', () => {
    expect(drift.exports).toEqual({ before: 25, after: 24, removed: ['__sanitizer_cov_trace_pc', 'buf_alloc', 'core_internal_state', 'helper_count'], crcChanged: 7 });
  });

  it('finds the exported functions whose calls are laid out differently, and the layouts reachable from the exports that changed', () => {
    // log_event(int code) → (long code, int level); rng_submit's by-value struct rng_req grew from 16 to 24 bytes (registers → memory).
    expect(drift.prototypes).toEqual({ compared: 14, changed: ['log_event', 'rng_submit'], ambiguous: 0 });
    expect(drift.layouts).toEqual(['struct module', 'struct rate_state', 'struct rng_req']);
  });

  it('lists the build-primitive options that changed, under both names of a renamed one', () => {
    expect(drift.primitives).toEqual([
      'CONFIG_X86_KERNEL_IBT: n → y',
      'CONFIG_CALL_PADDING: n → y',
      'CONFIG_FUNCTION_PADDING_BYTES: n → 16',
      'CONFIG_RETPOLINE: y → n',
      'CONFIG_MITIGATION_RETPOLINE: n → y',
      'CONFIG_RETHUNK: y → n',
      'CONFIG_MITIGATION_RETHUNK: n → y',
      'CONFIG_MITIGATION_CALL_DEPTH_TRACKING: n → y',
      'CONFIG_KCOV: y → n',
    ]);
  });

  it('renders one Markdown row per pair', () => {
    const rows = renderDriftMarkdown([drift]).split('\n');
    expect(rows[2]).toBe(
      '| 6.1.0-fixture → 6.12.0-fixture | 25 → 24 | 4: __sanitizer_cov_trace_pc, buf_alloc, core_internal_state, helper_count | 7 | 2: log_event, rng_submit of 14 | 3: struct module, struct rate_state, struct rng_req | CONFIG_X86_KERNEL_IBT: n → y; CONFIG_CALL_PADDING: n → y; CONFIG_FUNCTION_PADDING_BYTES: n → 16; CONFIG_RETPOLINE: y → n; CONFIG_MITIGATION_RETPOLINE: n → y; CONFIG_RETHUNK: y → n; CONFIG_MITIGATION_RETHUNK: n → y; CONFIG_MITIGATION_CALL_DEPTH_TRACKING: n → y; CONFIG_KCOV: y → n |',
    );
  });
});
