import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/report.js';
import { FIXTURES, FROZEN_DRIVER, NEW_KERNEL } from '../support/paths.js';
import { runCli } from '../support/run.js';

const DIR = mkdtempSync(join(tmpdir(), 'relinkable-waivers-'));
const PRIM_CFI = join(FIXTURES, 'frozen', 'prim_cfi.o');
const NOW = ['--now', '2026-12-03T10:00:00Z'];

function waiversFile(name: string, text: string): string {
  const path = join(DIR, name);
  writeFileSync(path, text);
  return path;
}

async function check(object: string, waivers: string, ...more: string[]): Promise<{ status: number; report: Report; stderr: string }> {
  const r = await runCli(['check', object, '--kernel', NEW_KERNEL, '--format', 'json', '--waivers', waivers, ...NOW, ...more]);
  return { status: r.status, report: r.stdout ? (JSON.parse(r.stdout) as Report) : (undefined as unknown as Report), stderr: r.stderr };
}

const ENTRY = (id: string, extra = '', expires = '2027-06-30') =>
  `  - id: ${id}\n${extra}    justification: reviewed for the 6.12 relink\n    approver: Jane Auditor\n    expires: ${expires}\n`;

describe('waivers', () => {
  it('a matching waiver marks the finding waived, keeps it in the report, and takes it out of --fail-on', async () => {
    const file = waiversFile('cfi.yaml', `version: 1\nwaivers:\n${ENTRY('function-padding-missing', '    object: prim_cfi.o\n')}${ENTRY('landing-pad-missing', '    symbol: prim_cb_ptr\n')}${ENTRY('mitigation-missing', '    section: "*"\n')}`);
    const without = await runCli(['check', PRIM_CFI, '--kernel', NEW_KERNEL]);
    expect(without.status).toBe(1);
    const { status, report } = await check(PRIM_CFI, file);
    expect(status).toBe(1);
    // mitigation-missing's findings name no section: that waiver matches nothing.
    expect(report.findings.map((f) => `${f.severity} ${f.id} ${f.waived ? `waived by line ${f.waived.line}` : 'not waived'}`)).toEqual([
      'runtime function-padding-missing waived by line 3',
      'runtime landing-pad-missing waived by line 8',
      'runtime mitigation-missing not waived',
      'review mitigation-missing not waived',
    ]);
    expect(report.gate).toEqual({ failOn: 'runtime', result: 'failed', failing: 1, waived: 2 });
    expect(report.waivers!.stale.map((w) => w.line)).toEqual([13]);
    expect(report.findings[0]!.waived).toEqual({ line: 3, justification: 'reviewed for the 6.12 relink', approver: 'Jane Auditor', expires: '2027-06-30' });
    expect(report.time).toEqual({ at: '2026-12-03T10:00:00Z', source: '--now' });
  });

  it('every finding at or above --fail-on waived: exit 0, and the waived findings still in the text report', async () => {
    const file = waiversFile('all.json', JSON.stringify({ version: 1, waivers: ['function-padding-missing', 'landing-pad-missing', 'mitigation-missing'].map((id) => ({ id, object: '*/prim_cfi.o', justification: 'accepted: the relinked kernel runs without IBT', approver: 'J. Auditor', expires: '2027-01-31' })) }, null, 2));
    const json = await check(PRIM_CFI, file);
    expect(json.status).toBe(0);
    expect(json.report.gate).toEqual({ failOn: 'runtime', result: 'passed', failing: 0, waived: 4 });
    expect(json.report.waivers!.applied.map((w) => [w.line, w.id, w.findings])).toEqual([[4, 'function-padding-missing', 1], [11, 'landing-pad-missing', 1], [18, 'mitigation-missing', 2]]);
    const text = await runCli(['check', PRIM_CFI, '--kernel', NEW_KERNEL, '--waivers', file, ...NOW]);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('    WAIVED until 2027-01-31 by J. Auditor (waivers line 4): accepted: the relinked kernel runs without IBT\n');
    expect(text.stdout).toContain(`waivers ${file}: 4 findings waived by 3 waivers\n`);
  });

  it('a symbol glob must cover every site of a finding with sites', async () => {
    const file = waiversFile('sites.yaml', `version: 1\nwaivers:\n${ENTRY('layout-changed', '    symbol: rs\n')}${ENTRY('layout-changed', '    symbol: "r*"\n')}${ENTRY('layout-changed', '    type: struct rng_*\n')}`);
    const { report } = await check(FROZEN_DRIVER, file);
    const layout = report.findings.filter((f) => f.id === 'layout-changed').map((f) => `${f.symbol} at ${f.sites.map((s) => s.symbol).join(',')}: ${f.waived?.line ?? 'not waived'}`);
    expect(layout).toEqual(['struct rate_state at rs,ratelimit_check: 8', 'struct rng_req at rng_submit: 8']);
    expect(report.waivers!.stale.map((w) => w.line)).toEqual([3, 13]);
  });

  it('an expired waiver waives nothing and is reported', async () => {
    const file = waiversFile('expired.yaml', `version: 1\nwaivers:\n${ENTRY('landing-pad-missing', '', '2026-12-02')}${ENTRY('function-padding-missing', '', '2026-12-03')}`);
    const { status, report } = await check(PRIM_CFI, file);
    expect(status).toBe(1);
    expect(report.waivers!.expired.map((w) => `${w.line} ${w.id} ${w.expires}`)).toEqual(['3 landing-pad-missing 2026-12-02']);
    expect(report.findings.filter((f) => f.waived).map((f) => f.id)).toEqual(['function-padding-missing']);
    const text = await runCli(['check', PRIM_CFI, '--kernel', NEW_KERNEL, '--waivers', file, ...NOW]);
    expect(text.stdout).toContain('        expired (line 3, landing-pad-missing, until 2026-12-02): waives nothing\n');
  });

  it('the time comes from SOURCE_DATE_EPOCH when --now is not given', async () => {
    const file = waiversFile('epoch.yaml', `version: 1\nwaivers:\n${ENTRY('landing-pad-missing', '', '2026-12-02')}`);
    const before = process.env.SOURCE_DATE_EPOCH;
    process.env.SOURCE_DATE_EPOCH = String(Date.parse('2026-12-02T23:59:59Z') / 1000);
    try {
      const r = JSON.parse((await runCli(['check', PRIM_CFI, '--kernel', NEW_KERNEL, '--format', 'json', '--waivers', file])).stdout) as Report;
      expect(r.time).toEqual({ at: '2026-12-02T23:59:59Z', source: 'SOURCE_DATE_EPOCH' });
      expect(r.waivers!.expired).toEqual([]);
    } finally {
      if (before === undefined) delete process.env.SOURCE_DATE_EPOCH;
      else process.env.SOURCE_DATE_EPOCH = before;
    }
  });

  it('a stale waiver (matching nothing) is reported in every report', async () => {
    const file = waiversFile('stale.yaml', `version: 1\nwaivers:\n${ENTRY('undefined-symbol', '    symbol: __kmalloc\n')}`);
    const { report } = await check(PRIM_CFI, file);
    expect(report.waivers!.stale.map((w) => `${w.line} ${w.id} ${w.symbol}`)).toEqual(['3 undefined-symbol __kmalloc']);
    const text = await runCli(['check', PRIM_CFI, '--kernel', NEW_KERNEL, '--waivers', file, ...NOW]);
    expect(text.stdout).toContain('        stale (line 3, undefined-symbol): matched no finding\n');
  });

  it('a malformed file: one line naming the file and the line, exit 2, before anything is checked', async () => {
    const cases: [string, string, string][] = [
      ['typo.yaml', `version: 1\nwaivers:\n  - id: layout-changed\n    justification: ok\n    aprover: me\n    expires: 2027-01-01\n`, 'line 5: unknown key `aprover` (a waiver has id, justification, approver, expires, object, symbol, type, section)'],
      ['syntax.yaml', `version: 1\nwaivers:\n  - id: layout-changed\n    justification: [unclosed\n`, 'line 5: not YAML or JSON:'],
      ['date.yaml', `version: 1\nwaivers:\n${ENTRY('layout-changed', '', '2027-02-30')}`, 'line 6: `expires` must be a date, YYYY-MM-DD (got "2027-02-30")'],
      ['missing.yaml', `version: 1\nwaivers:\n  - id: layout-changed\n    approver: me\n    expires: 2027-01-01\n`, 'line 3: the waiver has no `justification`'],
      ['noversion.json', `{"waivers": []}`, 'line 1: `version: 1` is required'],
      ['unknown-id.yaml', `version: 1\nwaivers:\n${ENTRY('link-error')}`, 'line 3: `link-error` is not a finding id (relinkable explain lists them)'],
    ];
    for (const [name, text, problem] of cases) {
      const file = waiversFile(name, text);
      const r = await runCli(['check', PRIM_CFI, '--kernel', NEW_KERNEL, '--waivers', file, ...NOW]);
      expect(r.status, name).toBe(2);
      expect(r.stdout, name).toBe('');
      expect(r.stderr.split('\n'), name).toHaveLength(2);
      expect(r.stderr, name).toContain(`relinkable: error: ${file}: ${problem}`);
    }
  });

  it('an incomplete check or an input error cannot be waived', async () => {
    const file = waiversFile('incomplete.yaml', `version: 1\nwaivers:\n${ENTRY('layout-changed')}${ENTRY('primitive-check-incomplete')}`);
    const r = await runCli(['check', PRIM_CFI, '--kernel', NEW_KERNEL, '--waivers', file, ...NOW]);
    expect([r.status, r.stderr]).toEqual([2, `relinkable: error: ${file}: line 7: primitive-check-incomplete cannot be waived: it says a check could not run, and what was not checked cannot be accepted\n`]);
    // An input error ends the run with exit 2 whatever the waivers say: there is no finding to waive.
    const all = waiversFile('everything.yaml', `version: 1\nwaivers:\n${ENTRY('undefined-symbol', '    object: "*"\n')}`);
    const broken = waiversFile('not-an-object.o', 'not ELF');
    const e = await runCli(['check', broken, '--kernel', NEW_KERNEL, '--waivers', all, ...NOW]);
    expect(e.status).toBe(2);
    expect(e.stderr).toMatch(new RegExp(`^relinkable: error: ${broken}: `));
  });

  it('hostile files: an alias bomb, 100,000 nested brackets, a tag that would run code, an over-long glob — one line each, exit 2', async () => {
    const level = (name: string, of: string) => `${name}: &${name} [${Array(9).fill(`*${of}`).join(',')}]`;
    const cases: [string, string, string][] = [
      ['bomb.yaml', `version: 1\nwaivers:\n  - &a [x, x, x, x, x, x, x, x, x]\n  - ${level('b', 'a')}\n`, 'line 3: a waiver is a mapping (id, justification, approver, expires, and globs)'],
      ['bomb-top.yaml', `version: 1\na: &a [x, x, x, x, x, x, x, x, x]\n${level('b', 'a')}\n${level('c', 'b')}\nwaivers: [*c]\n`, 'line 2: unknown key `a` (a waivers file has `version` and `waivers`)'],
      ['deep.yaml', `version: 1\nwaivers: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`, 'line 2: not YAML or JSON: nested too deeply\n'],
      ['tag.yaml', 'version: 1\nwaivers:\n  - !!js/function "function () { return 1 }"\n', 'line 3: a waiver is a mapping'],
      ['glob.yaml', `version: 1\nwaivers:\n${ENTRY('layout-changed', `    symbol: "${'*'.repeat(5000)}"\n`)}`, 'line 4: `symbol` pattern too long: 5000 characters, over the limit GLOB_PATTERN_LENGTH'],
    ];
    for (const [name, text, problem] of cases) {
      const file = waiversFile(name, text);
      const r = await runCli(['check', PRIM_CFI, '--kernel', NEW_KERNEL, '--waivers', file, ...NOW]);
      expect([r.status, r.stdout], name).toEqual([2, '']);
      expect(r.stderr.split('\n'), name).toHaveLength(2);
      expect(r.stderr, name).toContain(`relinkable: error: ${file}: ${problem}`);
    }
  });
});
