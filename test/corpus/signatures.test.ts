import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/report.js';
import { debianKernel, debianModule } from '../support/corpus.js';
import { checkJson, findingAt, runCli } from '../support/run.js';

const JITTER_61 = () => debianModule('6.1.170', 'crypto/jitterentropy_rng.ko');
const interfaceFindings = (r: Report) =>
  r.findings
    .filter((f) => ['prototype-changed', 'layout-changed', 'enum-changed', 'variable-type-changed', 'modversions-crc-changed'].includes(f.id))
    .map((f) => `${f.severity} ${f.rank ?? '-'} ${f.id} ${f.symbol} | ${f.message} | ${f.sites.map((s) => `${s.symbol}: ${s.detail}`).join('; ')}`);

// Relinked: the interface comparison is what these are about (as is, the changed CRCs are load refusals: test/corpus/load-gates.test.ts).
describe('Debian 6.1.170 jitterentropy_rng.ko relinked against 6.12.117: signatures and layouts', async () => {
  const viaBtf = (await checkJson([JITTER_61(), '--kernel', debianKernel('6.12.117'), '--type-source', 'btf', '--relink'])).report;
  const viaDwarf = (await checkJson([JITTER_61(), '--kernel', debianKernel('6.12.117'), '--type-source', 'dwarf', '--relink'])).report;

  it('reports struct ratelimit_state as an owned-storage break: flags 32 -> 20, size 40 -> 32', () => {
    const rs = viaBtf.findings.find((f) => f.id === 'layout-changed' && f.symbol === 'struct ratelimit_state')!;
    expect([rs.severity, rs.rank]).toEqual(['runtime', 0]);
    expect(rs.message).toBe(
      'struct ratelimit_state changed: size 40 → 32; flags: offset 32 → 20; flags: long unsigned int (8 bytes) → unsigned int (4 bytes) (the frozen object owns storage of this type: it will be read with the new layout)',
    );
    expect(rs.evidence[0]).toEqual({ label: 'owned storage', file: JITTER_61(), symbol: '_rs', detail: 'static in jent_kcapi_random' });
  });

  it("reports _printk's prototype unchanged although its CRC moved, and ktime_get, kfree_sensitive, panic unchanged", () => {
    const printk = findingAt(viaBtf, 'modversions-crc-changed', '_printk')!.finding;
    expect(printk.message).toBe(
      "the kernel's own checksum for _printk changed (0x92997ed8 → 0x122c3a7e); relinked, modpost writes the new one: no ABI-relevant change in its prototype or type closure: the CRC moved for something a caller cannot feel",
    );
    expect(printk.severity).toBe('info');
    for (const name of ['_printk', 'ktime_get', 'kfree_sensitive', 'panic']) {
      expect(viaBtf.findings.filter((f) => f.id === 'prototype-changed' && f.symbol === name)).toEqual([]);
    }
    expect(viaBtf.coverage.functions.notCompared.map((x) => x.name)).not.toEqual(expect.arrayContaining(['_printk', 'ktime_get', 'kfree_sensitive', 'panic']));
  });

  it('explains the ___ratelimit CRC with the layout change under it', () => {
    const crc = findingAt(viaBtf, 'modversions-crc-changed', '___ratelimit')!.finding;
    expect(crc.message).toContain('explained by changes a caller can feel: struct ratelimit_state (size 40 → 32');
  });

  it('the DWARF path and the BTF path give the same answers', () => {
    expect(interfaceFindings(viaDwarf)).toEqual(interfaceFindings(viaBtf));
    expect(interfaceFindings(viaBtf).length).toBeGreaterThan(10);
  });

  it('ranks the owned-storage break on the first screen of the text report (kmidiff: 1,000 unranked lines)', async () => {
    const { stdout } = await runCli(['check', JITTER_61(), '--kernel', debianKernel('6.12.117'), '--relink']);
    const lines = stdout.split('\n');
    const at = lines.findIndex((l) => l.includes('layout-changed  struct ratelimit_state'));
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(50);
  });
});
