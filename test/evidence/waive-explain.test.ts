import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FINDING_IDS } from '../../src/findings/index.js';
import type { Report } from '../../src/report/report.js';
import { FIXTURES, NEW_KERNEL, ROOT } from '../support/paths.js';
import { runBinary, runCli } from '../support/run.js';

const DIR = mkdtempSync(join(tmpdir(), 'relinkable-waive-'));
const PRIM_CFI = join(FIXTURES, 'frozen', 'prim_cfi.o');

describe('relinkable waive', () => {
  it('writes a starting file from a JSON report, refused until each waiver is justified and approved, then waiving every finding', async () => {
    const reportPath = join(DIR, 'report.json');
    writeFileSync(reportPath, (await runCli(['check', PRIM_CFI, '--kernel', NEW_KERNEL, '--format', 'json'])).stdout);
    const waive = await runCli(['waive', reportPath, '--expires', '2027-03-31']);
    expect(waive.status).toBe(0);
    const entries = waive.stdout.split('\n').filter((l) => l.startsWith('  - ') || l.startsWith('    '));
    expect(entries).toEqual([
      '  - id: function-padding-missing', '    object: "prim_cfi.o"', '    symbol: "prim_cb"', '    justification: ""', '    approver: ""', '    expires: 2027-03-31',
      '  - id: landing-pad-missing', '    object: "prim_cfi.o"', '    symbol: "prim_cb_ptr"', '    justification: ""', '    approver: ""', '    expires: 2027-03-31',
      '  - id: mitigation-missing', '    object: "prim_cfi.o"', '    justification: ""', '    approver: ""', '    expires: 2027-03-31',
    ]);
    const file = join(DIR, 'waivers.yaml');
    writeFileSync(file, waive.stdout);
    const refused = await runCli(['check', PRIM_CFI, '--kernel', NEW_KERNEL, '--waivers', file, '--now', '2026-12-03']);
    expect([refused.status, refused.stderr]).toEqual([2, `relinkable: error: ${file}: line 11: \`justification\` must be a non-empty string\n`]);
    writeFileSync(file, waive.stdout.replaceAll('justification: ""', 'justification: "reviewed: the relinked kernel runs without IBT"').replaceAll('approver: ""', 'approver: "J. Auditor"'));
    const accepted = await runCli(['check', PRIM_CFI, '--kernel', NEW_KERNEL, '--waivers', file, '--now', '2026-12-03', '--format', 'json']);
    expect(accepted.status).toBe(0);
    const report = JSON.parse(accepted.stdout) as Report;
    expect(report.findings.every((f) => f.waived !== null)).toBe(true);
    expect([report.gate.result, report.waivers!.stale, report.waivers!.expired]).toEqual(['passed', [], []]);
  });

  it('the default expiry is 90 days after the run time; a file that is not a report is one line, exit 2', async () => {
    const reportPath = join(DIR, 'report2.json');
    writeFileSync(reportPath, (await runCli(['check', PRIM_CFI, '--kernel', NEW_KERNEL, '--format', 'json'])).stdout);
    const before = process.env.SOURCE_DATE_EPOCH;
    process.env.SOURCE_DATE_EPOCH = String(Date.parse('2026-12-03T00:00:00Z') / 1000);
    try {
      expect((await runCli(['waive', reportPath])).stdout).toContain('    expires: 2027-03-03\n');
    } finally {
      if (before === undefined) delete process.env.SOURCE_DATE_EPOCH;
      else process.env.SOURCE_DATE_EPOCH = before;
    }
    const notReport = join(DIR, 'sarif.json');
    writeFileSync(notReport, '{"version": "2.1.0", "runs": []}');
    const r = await runCli(['waive', notReport]);
    expect([r.status, r.stderr]).toEqual([2, `relinkable: error: ${notReport}: not a relinkable JSON report of format 5, 6 or 7 (check --format json writes one)\n`]);
  });
});

describe('relinkable explain', () => {
  it('prints a finding page; lists every id without one; refuses an unknown id', async () => {
    const page = await runCli(['explain', 'layout-changed']);
    expect([page.status, page.stdout]).toEqual([0, readFileSync(join(ROOT, 'docs', 'findings', 'layout-changed.md'), 'utf8')]);
    const list = await runCli(['explain']);
    expect(list.stdout.split('\n').filter(Boolean).map((l) => l.split(' ')[0])).toEqual([...FINDING_IDS]);
    expect(list.stdout).toContain('\nlayout-changed                runtime  Struct or union layout changed\n');
    const bad = await runCli(['explain', 'link-error']);
    expect([bad.status, bad.stderr]).toEqual([2, 'relinkable: error: explain link-error: not a finding id (relinkable explain lists them)\n']);
  });

  it('the bundled CLI finds the pages beside it, and the package ships every page', () => {
    const r = runBinary(['explain', 'module-now-builtin']);
    expect([r.status, r.stdout]).toEqual([0, readFileSync(join(ROOT, 'docs', 'findings', 'module-now-builtin.md'), 'utf8')]);
    const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' })) as { files: { path: string }[] }[];
    const files = new Set(packed[0]!.files.map((f) => f.path));
    expect(FINDING_IDS.filter((id) => !files.has(`docs/findings/${id}.md`))).toEqual([]);
    expect(files.has('dist/relinkable.mjs')).toBe(true);
  });
});
