import { execFileSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'puppeteer-core';
import type { Report } from '../../src/report/report.js';
import { artifactPath, launchChromium, openHtml } from '../support/browser.js';
import { builtTree, debianKernel, debianModule } from '../support/corpus.js';
import { evidenceBundle, githubSarifProblems, parseJunit, sarifErrors, statementErrors } from '../support/evidence.js';

const sha256sum = (path: string) => execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0];

/**
 * The evidence bundle of the two real cases of issue 10: a certified module checked as is
 * against a newer Debian kernel, and a certified object relinked into a newer kernel tree.
 * Each format is checked for what it must carry, SARIF and the attestation against their
 * schemas, JUnit read back, the HTML opened in headless Chromium.
 */
const CASES = [
  {
    name: 'Debian 6.1.170 jitterentropy_rng.ko against Debian 6.12.117 (as is)',
    shot: 'jitterentropy_rng-6.12.117.png',
    object: () => debianModule('6.1.170', 'crypto/jitterentropy_rng.ko'),
    kernel: () => debianKernel('6.12.117'),
    verdict: 'WILL NOT LINK',
    first: 'module-now-builtin',
    failing: ['module-now-builtin', 'module-struct-size', 'modversions-crc-changed', 'undefined-symbol', 'layout-changed', 'compiler-flag-changed', 'function-padding-missing', 'landing-pad-missing', 'mitigation-missing', 'orc-format-changed'],
    /** Each failing JUnit case: check, then the type of its first failing finding. */
    failingCases: ['replaced object: module-now-builtin', 'undefined symbols: undefined-symbol', 'layouts: layout-changed', 'modversions CRCs: modversions-crc-changed', 'build primitives: module-struct-size'],
  },
  {
    name: '6.1.170 tree crypto/jitterentropy.o relinked into the 6.12.117 tree',
    shot: 'jitterentropy-tree-6.12.117.png',
    object: () => join(builtTree('6.1.170'), 'crypto', 'jitterentropy.o'),
    kernel: () => builtTree('6.12.117'),
    verdict: 'WILL NOT LINK',
    first: 'undefined-symbol',
    failing: ['undefined-symbol', 'prototype-changed', 'prototype-changed', 'function-padding-missing', 'mitigation-missing'],
    failingCases: ['undefined symbols: undefined-symbol', 'prototypes: prototype-changed', 'build primitives: function-padding-missing'],
  },
];

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe.each(CASES)('the evidence bundle: $name', (c) => {
  let files: Record<string, string>;
  let report: Report;
  beforeAll(async () => {
    const bundle = await evidenceBundle([c.object(), '--kernel', c.kernel()]);
    expect(bundle.status).toBe(1);
    files = bundle.files;
    report = JSON.parse(files['report.json']!) as Report;
  });

  it('JSON: the manifest hashes every input it lists, vmlinux with its build-id', () => {
    expect(report.findings[0]!.id).toBe(c.first);
    expect(report.findings.filter((f) => f.severity === 'link' || f.severity === 'runtime').map((f) => f.id)).toEqual(c.failing);
    expect(report.gate).toMatchObject({ result: 'failed', failing: c.failing.length });
    const vmlinux = report.inputs.find((i) => i.role === 'vmlinux')!;
    expect(vmlinux.buildId).toBe(report.kernel.vmlinux.buildId);
    expect(vmlinux.buildId).toMatch(/^[0-9a-f]{40}$/);
    expect(vmlinux.sha256).toBe(sha256sum(report.kernel.vmlinux.path));
    expect(report.inputs.find((i) => i.role === 'frozen object')!.sha256).toBe(sha256sum(c.object()));
  });

  it("paths under the home directory are written from ~ in the manifest and in every format that leaves the machine", () => {
    const home = homedir();
    expect(c.object().startsWith(`${home}/`)).toBe(true);
    // All but the bundled catalogue, which the tests read from the working directory (the checkout).
    expect(report.inputs.filter((i) => !i.path.startsWith('~/')).every((i) => i.role === 'catalogue' && i.path.startsWith('signatures/'))).toBe(true);
    expect(report.inputs.filter((i) => i.path.startsWith('~/')).length).toBe(report.inputs.length - 45);
    for (const name of ['report.md', 'report.html', 'report.sarif', 'junit.xml', 'attestation.intoto.json']) expect(files[name], name).not.toContain(`${home}/`);
    // The JSON report keeps every other path whole, as read (docs/report-format.md, Paths).
    expect(report.frozen[0]!.path).toBe(c.object());
  });

  it('SARIF: valid against the official schema, a rule per finding id, a result per finding', () => {
    const sarif = JSON.parse(files['report.sarif']!);
    expect(sarifErrors(sarif)).toEqual([]);
    expect(githubSarifProblems(sarif)).toEqual([]);
    const run = sarif.runs[0];
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual([...new Set(report.findings.map((f) => f.id))].sort());
    expect(run.results.map((r: { ruleId: string }) => r.ruleId)).toEqual(report.findings.map((f) => f.id));
  });

  it('the attestation: valid, the frozen object by sha256, FAILED', () => {
    const statement = JSON.parse(files['attestation.intoto.json']!);
    expect(statementErrors(statement)).toEqual([]);
    expect(statement.subject[0].digest.sha256).toBe(sha256sum(c.object()));
    expect([statement.predicate.verificationResult, statement.predicate.timeVerified]).toEqual(['FAILED', '2025-12-03T10:00:00Z']);
    expect(statement.predicate['https://github.com/relinkable/relinkable/kernel'].release).toBe(report.kernel.release);
  });

  it('JUnit: read back, a case per check, failing where the gate fails', () => {
    const junit = parseJunit(files['junit.xml']!);
    expect(junit.tests).toBe(report.checks.length);
    const cases = junit.suites[0]!.cases;
    expect(cases.map((k) => k.name)).toEqual(report.checks.map((k) => k.name));
    expect(cases.flatMap((k) => (k.failure ? [`${k.name}: ${k.failure.type}`] : []))).toEqual(c.failingCases);
    expect([junit.failures, junit.suites[0]!.failures]).toEqual([c.failingCases.length, c.failingCases.length]);
  });

  it('Markdown: every finding with its docs link, in report order', () => {
    const md = files['report.md']!;
    expect(md.split('\n')[2]).toBe(`**Verdict:** ${c.verdict}  `);
    const headings = md.split('\n').filter((l) => l.startsWith('### ')).map((l) => l.match(/`([a-z-]+)`/)![1]);
    expect(headings).toEqual(report.findings.map((f) => f.id));
    for (const f of report.findings) expect(md).toContain(`(https://github.com/relinkable/relinkable/blob/v0.1.0/docs/findings/${f.id}.md)`);
    expect(md).toContain(`| sha256 | ${sha256sum(c.object())} |`);
  });

  it('HTML: opens in headless Chromium with no error; the verdict and every finding id visible', async () => {
    const seen = await openHtml(browser, files['report.html']!, artifactPath(c.shot));
    expect([seen.errors, seen.requests, seen.verdict]).toEqual([[], [], c.verdict]);
    expect(seen.visibleIds).toEqual(report.findings.map((f) => f.id));
  });
});
