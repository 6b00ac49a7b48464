import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shardCells, parseShard } from '../../src/scan/scan.js';
import { compareVersions } from '../../src/scan/state.js';
import { FIXTURES } from '../support/paths.js';
import { runBinary, runCli } from '../support/run.js';

const OLD = join(FIXTURES, 'old-kernel');
const NEW = join(FIXTURES, 'new-kernel');
const OBJECTS = ['rng_driver.o', 'prim_driver.o', 'prim_trace.o', 'prim_cfi.o'].map((o) => join(FIXTURES, 'frozen', o));
const dir = mkdtempSync(join(tmpdir(), 'relinkable-scan-'));
const read = (f: string) => readFileSync(f, 'utf8');

describe('shards', () => {
  it('cut the objects × kernels matrix kernel by kernel into consecutive slices', () => {
    const kernels = ['k1', 'k2', 'k3'];
    const objects = ['a', 'b'];
    const slices = [1, 2, 3, 4].map((i) => shardCells(kernels, objects, { index: i, count: 4 }));
    expect(slices).toEqual([
      [{ kernel: 'k1', objects: ['a'] }],
      [{ kernel: 'k1', objects: ['b'] }, { kernel: 'k2', objects: ['a'] }],
      [{ kernel: 'k2', objects: ['b'] }],
      [{ kernel: 'k3', objects: ['a', 'b'] }],
    ]);
    expect(shardCells(kernels, objects, undefined).flatMap((s) => s.objects.map((o) => `${s.kernel}${o}`))).toEqual(['k1a', 'k1b', 'k2a', 'k2b', 'k3a', 'k3b']);
  });

  it('are given as i/N', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['0/4', '5/4', '2', 'a/b', '1/0']) expect(() => parseShard(bad)).toThrow(`--shard ${bad}: give i/N with 1 <= i <= N (e.g. 2/4)`);
  });

  it('4 shards run as separate processes and merged give the single run, byte for byte: state, text, JSON, Markdown and HTML', () => {
    const kernels = ['--kernel', OLD, '--kernel', NEW];
    const single = runBinary(['scan', ...OBJECTS, ...kernels, '--state', join(dir, 'single.json'), '--format', 'json', '--output', join(dir, 'single.timeline.json')]);
    expect(single.stderr).toBe('relinkable scan: 2 kernel(s) read, 8 cell(s) scanned\n');
    const shards = [1, 2, 3, 4].map((i) => runBinary(['scan', ...OBJECTS, ...kernels, '--shard', `${i}/4`, '--state', join(dir, `shard${i}.json`)]));
    // Two cells each; each shard reads one kernel.
    expect(shards.map((s) => s.stderr)).toEqual([1, 2, 3, 4].map(() => 'relinkable scan: 1 kernel(s) read, 2 cell(s) scanned\n'));
    const states = [1, 2, 3, 4].map((i) => join(dir, `shard${i}.json`));
    const merged = runBinary(['merge', ...states, '--state', join(dir, 'merged.json'), '--format', 'json', '--output', join(dir, 'merged.timeline.json')]);
    expect(merged.status).toBe(single.status);
    expect(read(join(dir, 'merged.json'))).toBe(read(join(dir, 'single.json')));
    expect(read(join(dir, 'merged.timeline.json'))).toBe(read(join(dir, 'single.timeline.json')));
    for (const format of ['text', 'markdown', 'html']) {
      const one = runBinary(['merge', join(dir, 'single.json'), '--format', format]);
      const four = runBinary(['merge', ...states.reverse(), '--format', format]);
      expect(four.stdout).toBe(one.stdout);
      expect(four.stdout.length).toBeGreaterThan(500);
    }
  });
});

describe('scan over time', () => {
  it('a second run with one more kernel reads only that kernel, and says what is new since the first', async () => {
    const state = join(dir, 'nightly.json');
    const first = await runCli(['scan', ...OBJECTS, '--kernel', OLD, '--state', state, '--format', 'json']);
    expect(first.stderr).toBe('relinkable scan: 1 kernel(s) read, 4 cell(s) scanned\n');
    const second = await runCli(['scan', ...OBJECTS, '--kernel', OLD, '--kernel', NEW, '--state', state, '--format', 'json']);
    expect(second.stderr).toBe('relinkable scan: 1 kernel(s) read, 4 cell(s) scanned\n');
    const again = await runCli(['scan', ...OBJECTS, '--kernel', OLD, '--kernel', NEW, '--state', state, '--format', 'json']);
    expect(again.stderr).toBe('relinkable scan: 0 kernel(s) read, 0 cell(s) scanned\n');
    // The state after two runs is the state of one run over both kernels.
    const both = join(dir, 'both.json');
    await runCli(['scan', ...OBJECTS, '--kernel', OLD, '--kernel', NEW, '--state', both]);
    expect(read(state)).toBe(read(both));

    const timeline = JSON.parse(second.stdout);
    expect(timeline.releases.map((r: { release: string }) => r.release)).toEqual(['6.1.0-fixture', '6.12.0-fixture']);
    expect(timeline.changes.map((c: { release: string }) => c.release)).toEqual(['6.12.0-fixture', '6.12.0-fixture', '6.12.0-fixture', '6.12.0-fixture']);
    const rng = timeline.objects.find((o: { path: string }) => o.path.endsWith('rng_driver.o'));
    expect(rng.cells.map((c: { verdict: string }) => c.verdict)).toEqual(['at-risk', 'will-not-link']);
    expect(rng.firstBreak.release).toBe('6.1.0-fixture');
    expect(rng.firstBreak.findings).toEqual([{ id: 'unresolved-weak-reference', severity: 'runtime', subject: 'optional_hook' }]);
    const change = timeline.changes.find((c: { object: string }) => c.object.endsWith('rng_driver.o'));
    // New at 6.12: what the object's 6.1 cell did not have; the weak reference it had is not new.
    expect(change.newFindings.map((f: { id: string }) => f.id)).not.toContain('unresolved-weak-reference');
    expect(change.newFindings.map((f: { id: string }) => f.id)).toContain('prototype-changed');
    expect(again.stdout).toContain('"changes": []');
  });

  it('exits 1 when a cell of the newest release breaks under --fail-on, 0 with --fail-on never', async () => {
    const breaks = await runCli(['scan', OBJECTS[0]!, '--kernel', OLD, '--kernel', NEW]);
    expect(breaks.status).toBe(1);
    const never = await runCli(['scan', OBJECTS[0]!, '--kernel', OLD, '--kernel', NEW, '--fail-on', 'never']);
    expect(never.status).toBe(0);
  });

  it('text: the timeline, the first break of each object, and what is new', async () => {
    const r = await runCli(['scan', OBJECTS[0]!, OBJECTS[2]!, '--kernel', OLD, '--kernel', NEW]);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 7)).toEqual([
      'relinkable scan: 2 object(s) × 2 release(s), fail on runtime',
      'cells: ok relinkable, risk at risk, LINK will not link, ! breaks (a finding at or above --fail-on), - not scanned',
      '',
      'object        6.1.0-fixture  6.12.0-fixture',
      'prim_trace.o  LINK!          LINK!',
      'rng_driver.o  risk!          LINK!',
      '',
    ]);
    expect(lines).toContain('  prim_trace.o  6.1.0-fixture: ftrace-entry-changed mcount; undefined-symbol mcount');
    expect(lines).toContain('  rng_driver.o  6.1.0-fixture: unresolved-weak-reference optional_hook');
  });

  it('html: one page, the inputs escaped', async () => {
    const r = await runCli(['scan', OBJECTS[0]!, '--kernel', OLD, '--kernel', NEW, '--format', 'html']);
    expect(r.stdout.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    expect(r.stdout).toContain('<tr><td title="' + OBJECTS[0]! + '">rng_driver.o</td><td class="breaks">risk</td><td class="breaks">LINK</td><td>6.1.0-fixture: unresolved-weak-reference optional_hook</td></tr>');
    const state = JSON.parse(read(join(dir, 'single.json')));
    state.objects[0].path = '<script>x</script>.o';
    writeFileSync(join(dir, 'hostile.json'), JSON.stringify(state));
    const hostile = await runCli(['merge', join(dir, 'hostile.json'), '--format', 'html']);
    expect(hostile.stdout).not.toContain('<script>');
    expect(hostile.stdout).toContain('&#60;script&#62;x&#60;/script&#62;.o');
  });

  it('merge refuses states that disagree about a cell, naming both files', async () => {
    const a = join(dir, 'a.json');
    await runCli(['scan', OBJECTS[0]!, '--kernel', NEW, '--state', a]);
    const state = JSON.parse(read(a));
    state.cells[0].verdict = 'relinkable';
    const b = join(dir, 'b.json');
    writeFileSync(b, JSON.stringify(state));
    const r = await runCli(['merge', a, b]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^relinkable: error: ${b}: says relinkable for object [0-9a-f]{12}… against 6\\.12\\.0-fixture; ${a} says will-not-link: states of different runs\\n$`));
  });

  it('a state file that is not one is an input error', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ format: 'relinkable-report' }));
    const r = await runCli(['merge', bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`relinkable: error: ${bad}: not a scan state: "format" is not "relinkable-scan-state"\n`);
  });
});

describe('--debian', () => {
  it('without apt: a usage error saying what to give instead', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const r = await runCli(['scan', OBJECTS[0]!, '--debian', '6.12']);
      expect(r).toEqual({ status: 2, stdout: '', stderr: 'relinkable: error: --debian needs apt (apt-cache was not found): give the kernels with --kernel or --kernels instead\n' });
    } finally {
      process.env.PATH = path;
    }
  });

  it('takes a series, not a release', async () => {
    const r = await runCli(['scan', OBJECTS[0]!, '--debian', '6.12.117']);
    expect(r.stderr).toBe('relinkable: error: --debian 6.12.117: give a kernel series such as 6.1 or 6.12\n');
  });
});

describe('release order', () => {
  it('orders Debian kernel versions as dpkg does', () => {
    const versions = ['6.12.107-1~deb12u1', '6.1.192-3', '6.1.170-3', '6.12.115-2~deb12u1', '6.1.192-1', '6.12.113-1~deb12u1', '6.1.192-2', '6.12.113-1'];
    expect([...versions].sort(compareVersions)).toEqual(['6.1.170-3', '6.1.192-1', '6.1.192-2', '6.1.192-3', '6.12.107-1~deb12u1', '6.12.113-1~deb12u1', '6.12.113-1', '6.12.115-2~deb12u1']);
  });
});
