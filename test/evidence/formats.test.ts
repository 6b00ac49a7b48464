import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/report.js';
import { FIXTURES, NEW_KERNEL } from '../support/paths.js';
import { runCli } from '../support/run.js';
import { evidenceBundle, githubSarifProblems, parseJunit, sarifErrors, statementErrors } from '../support/evidence.js';

const PRIM_CFI = join(FIXTURES, 'frozen', 'prim_cfi.o');
const FILES = ['attestation.intoto.json', 'junit.xml', 'report.html', 'report.json', 'report.md', 'report.sarif', 'report.txt'];

const WAIVERS = join(mkdtempSync(join(tmpdir(), 'relinkable-evidence-waivers-')), 'waivers.yaml');
writeFileSync(
  WAIVERS,
  `version: 1\nwaivers:\n  - id: landing-pad-missing\n    symbol: prim_cb_ptr\n    justification: the relinked kernel is built without IBT\n    approver: J. Auditor\n    expires: 2026-12-31\n  - id: undefined-symbol\n    justification: none left\n    approver: J. Auditor\n    expires: 2026-12-31\n`,
);

describe('the evidence formats, from the fixtures', async () => {
  const bundle = await evidenceBundle([PRIM_CFI, '--kernel', NEW_KERNEL, '--waivers', WAIVERS]);
  const report = JSON.parse(bundle.files['report.json']!) as Report;

  it('--evidence writes every format, names each file on stderr, and exits as the gate says', () => {
    expect(Object.keys(bundle.files)).toEqual(FILES);
    expect(bundle.stderr.split('\n').filter(Boolean)).toEqual(['report.txt', 'report.json', 'report.md', 'report.html', 'report.sarif', 'junit.xml', 'attestation.intoto.json'].map((f) => `relinkable: evidence: DIR/${f}`));
    expect(bundle.status).toBe(1);
    expect(report.gate).toEqual({ failOn: 'runtime', result: 'failed', failing: 2, waived: 1 });
    expect(report.time).toEqual({ at: '2025-12-03T10:00:00Z', source: 'SOURCE_DATE_EPOCH' });
    expect(report.inputs.every((i) => /^[0-9a-f]{64}$/.test(i.sha256 ?? ''))).toBe(true);
  });

  it('every format is the same bytes on a second run', async () => {
    const again = await evidenceBundle([PRIM_CFI, '--kernel', NEW_KERNEL, '--waivers', WAIVERS]);
    expect(again.files).toEqual(bundle.files);
  });

  it('SARIF: valid against the official 2.1.0 schema; a rule per finding id with its page; the waived finding suppressed', () => {
    const sarif = JSON.parse(bundle.files['report.sarif']!);
    expect(sarifErrors(sarif)).toEqual([]);
    expect(githubSarifProblems(sarif)).toEqual([]);
    const run = sarif.runs[0];
    expect(run.tool.driver.rules.map((r: { id: string; helpUri: string }) => `${r.id} ${r.helpUri}`)).toEqual(
      ['function-padding-missing', 'landing-pad-missing', 'mitigation-missing'].map((id) => `${id} https://github.com/relinkable/relinkable/blob/v0.1.0/docs/findings/${id}.md`),
    );
    expect(run.results.map((r: { ruleId: string; level: string; suppressions?: unknown[] }) => `${r.level} ${r.ruleId} ${r.suppressions ? JSON.stringify(r.suppressions) : '-'}`)).toEqual([
      'error function-padding-missing -',
      'error landing-pad-missing [{"kind":"external","status":"accepted","justification":"the relinked kernel is built without IBT (approved by J. Auditor, until 2026-12-31; waivers line 3)"}]',
      'error mitigation-missing -',
      'note mitigation-missing -',
    ]);
    expect(run.results[1].locations[0]).toEqual({
      // The object was given by absolute path under the working directory: written relative to it.
      physicalLocation: { artifactLocation: { uri: 'fixtures/frozen/prim_cfi.o', index: 0 }, region: { startLine: 1 } },
      logicalLocations: [{ name: 'prim_cb_ptr' }],
      properties: { sections: ['.data', '.text'] },
    });
    expect(run.artifacts[0].hashes['sha-256']).toBe(report.frozen[0]!.sha256);
  });

  it('the attestation: an in-toto Statement v1 with a SLSA verification summary, valid against the schema written from the specs', () => {
    const statement = JSON.parse(bundle.files['attestation.intoto.json']!);
    expect(statementErrors(statement)).toEqual([]);
    expect(statement.subject).toEqual([{ name: 'prim_cfi.o', digest: { sha256: report.frozen[0]!.sha256 } }]);
    const p = statement.predicate;
    expect([p.verificationResult, p.verifiedLevels, p.timeVerified]).toEqual(['FAILED', ['FAILED'], '2025-12-03T10:00:00Z']);
    expect(p.policy.annotations).toEqual({ catalogue: { version: '1.3.0', sha256: report.catalogue.digest }, waivers: { path: WAIVERS, sha256: report.waivers!.sha256 }, failOn: 'runtime' });
    expect(p.verifier.version.relinkable).toBe('0.1.0');
    // A statement the schema must refuse: the check is not vacuous.
    expect(statementErrors({ ...statement, predicate: { ...p, verificationResult: 'OK' } })).toEqual(['/predicate/verificationResult must be equal to one of the allowed values']);
  });

  it('JUnit: read back, one test case per check and object, failures at or above --fail-on that no waiver accepts', () => {
    const junit = parseJunit(bundle.files['junit.xml']!);
    expect([junit.tests, junit.failures]).toEqual([report.checks.length, 1]);
    const suite = junit.suites[0]!;
    expect(suite.name).toBe('fixtures/frozen/prim_cfi.o');
    expect(suite.cases.map((c) => c.name)).toEqual(report.checks.map((c) => c.name));
    const failing = suite.cases.filter((c) => c.failure);
    expect(failing.map((c) => [c.classname, c.name, c.failure!.type, c.failure!.message])).toEqual([
      ['prim_cfi.o', 'build primitives', 'function-padding-missing', '2 findings at or above runtime: function-padding-missing, mitigation-missing'],
    ]);
    expect(failing[0]!.out).toContain('[runtime] landing-pad-missing prim_cb_ptr: ');
    expect(failing[0]!.out).toContain('  waived until 2026-12-31 by J. Auditor: the relinked kernel is built without IBT');
    expect(failing[0]!.out).toContain('[review] mitigation-missing');
  });

  it('Markdown: verdict, gate, identities, the summary, every finding with its docs link, coverage, the waivers', () => {
    const md = bundle.files['report.md']!;
    expect(md.split('\n').slice(0, 4)).toEqual(['# relinkable: AT RISK — prim\\_cfi.o', '', '**Verdict:** AT RISK  ', '**Gate:** FAILED: 2 findings at or above runtime not waived; 1 waived']);
    expect(md).toContain(`| sha256 | ${report.frozen[0]!.sha256} |`);
    expect(md).toContain('| Use | relinked: the new tree\'s kbuild links the frozen objects and writes the module metadata anew |');
    expect(md).toContain('| runtime | links, then breaks at run time | 3 | 1 |');
    const headings = md.split('\n').filter((l) => l.startsWith('### '));
    expect(headings).toEqual([
      '### 1. `function-padding-missing` prim\\_cb — runtime',
      '### 2. `landing-pad-missing` prim\\_cb\\_ptr — runtime (waived)',
      '### 3. `mitigation-missing` — runtime',
      '### 4. `mitigation-missing` — review',
    ]);
    for (const f of report.findings) expect(md).toContain(`Docs: [docs/findings/${f.id}.md](https://github.com/relinkable/relinkable/blob/v0.1.0/docs/findings/${f.id}.md)`);
    expect(md).toContain('> **Waived** until 2026-12-31 by J. Auditor (waivers line 3): the relinked kernel is built without IBT');
    expect(md).toContain('- **Stale** (line 8, `undefined-symbol`): matched no finding.');
    expect(md).toMatch(/^## Coverage\n\nCompared \d+ of \d+ called functions/m);
  });

  it('--format writes one format to standard output; --docs-url must be an absolute URL ending in /', async () => {
    const r = await runCli(['check', PRIM_CFI, '--kernel', NEW_KERNEL, '--format', 'sarif', '--docs-url', 'https://example.org/relinkable/findings/', '--now', '2025-12-03T10:00:00Z']);
    expect(sarifErrors(JSON.parse(r.stdout))).toEqual([]);
    expect(JSON.parse(r.stdout).runs[0].tool.driver.rules[0].helpUri).toBe('https://example.org/relinkable/findings/function-padding-missing.md');
    const bad = await runCli(['check', PRIM_CFI, '--kernel', NEW_KERNEL, '--docs-url', 'docs/findings']);
    expect([bad.status, bad.stderr]).toEqual([2, 'relinkable: error: --docs-url docs/findings: an absolute URL ending in / (the pages are <url><id>.md)\n']);
  });
});
