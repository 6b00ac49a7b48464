import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/report.js';
import { debianKernel, debianModule } from '../support/corpus.js';
import { FROZEN_DRIVER, FROZEN_MODULE, NEW_KERNEL } from '../support/paths.js';
import { checkJson, runCli } from '../support/run.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'relinkable-snapshot-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Findings with the frozen input's own name and locations taken out: the rest must match. */
const findings = (r: Report) => {
  const path = r.frozen[0]!.path;
  const text = JSON.stringify(r.findings.map((f) => ({ ...f, evidence: f.evidence.map((e) => ({ ...e, location: e.label === 'frozen object' ? undefined : e.location })) })));
  return JSON.parse(text.split(path).join('<frozen>'));
};

async function extract(object: string, name: string): Promise<string> {
  const out = join(dir, name);
  const r = await runCli(['extract', object, '-o', out]);
  expect(r).toEqual({ status: 0, stdout: '', stderr: '' });
  return out;
}

describe('ABI snapshots', () => {
  it('are deterministic: the same object gives the same bytes', async () => {
    const a = readFileSync(await extract(FROZEN_DRIVER, 'a.json'));
    const b = readFileSync(await extract(FROZEN_DRIVER, 'b.json'));
    expect(a.equals(b)).toBe(true);
    const s = JSON.parse(a.toString());
    expect([s.format, s.formatVersion, s.object.name]).toEqual(['relinkable-abi-snapshot', 2, 'rng_driver.o']);
    expect(s.interface.ownedStorage.map((v: { name: string; scope: string | null }) => [v.name, v.scope])).toEqual([
      ['__func__', 'gen'],
      ['alg', null],
      ['post_hook', null],
      ['rng_debug', null],
      ['rs', null],
    ]);
  });

  it.each([
    ['built-in object', FROZEN_DRIVER],
    ['module', FROZEN_MODULE],
  ])('check reads a snapshot of a %s exactly as it reads the object', async (_kind, object) => {
    const snapshot = await extract(object, 'x.abi.json');
    const fromObject = (await checkJson([object, '--kernel', NEW_KERNEL])).report;
    const fromSnapshot = (await checkJson([snapshot, '--kernel', NEW_KERNEL])).report;
    expect(findings(fromSnapshot)).toEqual(findings(fromObject));
    expect(fromSnapshot.frozen[0]!.sha256).toBe(fromObject.frozen[0]!.sha256);
  });

  it('the real jitterentropy_rng.ko: a small file that gives the same report against 6.12.117', async () => {
    const object = debianModule('6.1.170', 'crypto/jitterentropy_rng.ko');
    const snapshot = await extract(object, 'jitter.abi.json');
    expect(readFileSync(snapshot).length).toBeLessThan(readFileSync(object).length);
    const fromObject = (await checkJson([object, '--kernel', debianKernel('6.12.117')])).report;
    const fromSnapshot = (await checkJson([snapshot, '--kernel', debianKernel('6.12.117')])).report;
    expect(findings(fromSnapshot)).toEqual(findings(fromObject));
  });

  it.each([
    ['not JSON', '{ nope', /^not a valid ABI snapshot: not valid JSON \(Expected property name or '}' at line 1, column 3\)$/],
    ['another format', JSON.stringify({ format: 'something-else' }), /^not a valid ABI snapshot: format is not "relinkable-abi-snapshot"$/],
    ['a future version', JSON.stringify({ format: 'relinkable-abi-snapshot', formatVersion: 99 }), /^not a valid ABI snapshot: format version 99 \(this relinkable reads 2\)$/],
    ['format 1, without build facts', JSON.stringify({ format: 'relinkable-abi-snapshot', formatVersion: 1 }), /^ABI snapshot format 1 has no build facts, which the build-primitive checks need: extract it again from the object$/],
  ])('refuses %s with one line', async (name, text, problem) => {
    const path = join(dir, `${name.replace(/\W/g, '_')}.json`);
    writeFileSync(path, text);
    const r = await runCli(['check', path, '--kernel', NEW_KERNEL]);
    expect(r.status).toBe(2);
    expect(r.stderr.startsWith(`relinkable: error: ${path}: `)).toBe(true);
    expect(r.stderr.slice(`relinkable: error: ${path}: `.length).trimEnd()).toMatch(problem);
  });

  it('refuses a snapshot whose types point nowhere', async () => {
    const s = JSON.parse(readFileSync(await extract(FROZEN_DRIVER, 'c.json'), 'utf8'));
    s.interface.types['1'] = { kind: 'pointer', target: 99999 };
    const path = join(dir, 'dangling.json');
    writeFileSync(path, JSON.stringify(s));
    const r = await runCli(['check', path, '--kernel', NEW_KERNEL]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/type id 99999 is not in the snapshot's types/);
  });
});
