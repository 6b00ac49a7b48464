import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { FIXTURES, FROZEN_DRIVER, FROZEN_MODULE, NEW_KERNEL } from '../support/paths.js';
import { runCli } from '../support/run.js';
import { verdictOf } from '../../src/report/report.js';

describe('reports', () => {
  it('are deterministic: the same inputs give the same bytes, text and JSON', async () => {
    for (const format of ['text', 'json']) {
      const a = await runCli(['check', FROZEN_DRIVER, '--kernel', NEW_KERNEL, '--format', format]);
      const b = await runCli(['check', FROZEN_DRIVER, '--kernel', NEW_KERNEL, '--format', format]);
      expect(a.stdout).toBe(b.stdout);
      expect(a.stdout.length).toBeGreaterThan(500);
    }
  });

  it('JSON carries the documented top-level shape and versions', async () => {
    const r = JSON.parse((await runCli(['check', FROZEN_MODULE, '--kernel', NEW_KERNEL, '--format', 'json'])).stdout);
    expect(Object.keys(r)).toEqual(['format', 'formatVersion', 'tool', 'time', 'verdict', 'mode', 'use', 'useFrom', 'frozen', 'kernel', 'summary', 'coverage', 'catalogue', 'inputs', 'checks', 'waivers', 'gate', 'findings']);
    expect([r.format, r.formatVersion, r.tool.name]).toEqual(['relinkable-report', 7, 'relinkable']);
    expect(r.catalogue).toEqual({ version: '1.3.0', digest: expect.stringMatching(/^[0-9a-f]{64}$/), entries: 44, directory: null });
    expect(r.summary).toEqual({ link: 8, runtime: 5, warning: 0, review: 2, info: 0 });
    expect(Object.keys(r.findings[0])).toEqual(['id', 'title', 'severity', 'decisive', 'object', 'symbol', 'message', 'before', 'after', 'evidence', 'sites', 'candidates', 'rank', 'diff', 'signature', 'docs', 'waived']);
    expect(Object.keys(r.coverage)).toEqual(['sources', 'functions', 'variables', 'ownedTypes', 'withoutDwarf']);
    expect(r.frozen[0].sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a set: each name not compared says which object it is of (format 7), in the JSON and in the text', async () => {
    const set = [FROZEN_DRIVER, join(FIXTURES, 'frozen', 'prim_cfi.o')];
    const r = JSON.parse((await runCli(['check', ...set, '--kernel', NEW_KERNEL, '--format', 'json', '--fail-on', 'never'])).stdout);
    const thunks = r.coverage.functions.notCompared.filter((x: { name: string }) => x.name === '__x86_return_thunk');
    expect(thunks).toEqual(set.map((object) => ({ object, name: '__x86_return_thunk', why: 'called by compiler-generated code: no declaration' })));
    const text = (await runCli(['check', ...set, '--kernel', NEW_KERNEL, '--fail-on', 'never'])).stdout;
    expect(text.split('\n').filter((l) => l.includes('not compared: __x86_return_thunk'))).toEqual([
      '        not compared: __x86_return_thunk (rng_driver.o): called by compiler-generated code: no declaration',
      '        not compared: __x86_return_thunk (prim_cfi.o): called by compiler-generated code: no declaration',
    ]);
    // One object: no name after each entry.
    const one = (await runCli(['check', FROZEN_DRIVER, '--kernel', NEW_KERNEL, '--fail-on', 'never'])).stdout;
    expect(one).toContain('        not compared: __x86_return_thunk: called by compiler-generated code: no declaration\n');
  });

  it('text groups findings by severity, most severe first, with no colour off a terminal', async () => {
    const { stdout } = await runCli(['check', FROZEN_DRIVER, '--kernel', NEW_KERNEL]);
    const headings = stdout.split('\n').filter((l) => /^[A-Z ,]+ \(\d+\)$/.test(l));
    expect(headings).toEqual(['FAILS THE LINK OR THE MODULE LOAD (5)', 'LINKS, THEN BREAKS AT RUN TIME (13)', 'NEEDS A HUMAN (1)']);
    expect(stdout).not.toMatch(/\x1b\[/);
    expect(stdout.split('\n')[0]).toBe('relinkable 0.1.0: WILL NOT LINK');
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('summary: 5 link, 13 runtime, 1 review');
    expect(stdout).toMatch(/^catalogue 1\.3\.0 \(44 build primitives, sha256 [0-9a-f]{16}…\)$/m);
  });

  it('--fail-on sets which severities make the exit code 1', async () => {
    const args = ['check', FROZEN_MODULE, '--kernel', NEW_KERNEL];
    expect((await runCli([...args])).status).toBe(1);
    expect((await runCli([...args, '--fail-on', 'never'])).status).toBe(0);
    const reviewOnly = ['check', FROZEN_MODULE, '--kernel', NEW_KERNEL];
    expect((await runCli([...reviewOnly, '--fail-on', 'link'])).status).toBe(1);
  });

  it('verdicts: any link finding means it will not link; anything but info puts it at risk', () => {
    expect(verdictOf(['review', 'link'])).toBe('will-not-link');
    expect(verdictOf(['runtime'])).toBe('at-risk');
    expect(verdictOf(['review'])).toBe('at-risk');
    expect(verdictOf(['info'])).toBe('relinkable');
    expect(verdictOf([])).toBe('relinkable');
  });
});
