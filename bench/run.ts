// npm run bench: medians and peak RSS on the real corpus, side by side with the peers that
// do the nearest job, in one run. Timing targets live here, never in unit tests.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { CASES, TOOLS, type BenchCase } from './cases.js';
import { scanBench } from './scan.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** bpftool lives in /usr/sbin, outside a normal user's PATH. */
const ENV = { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` };

interface Measured {
  readonly job: BenchCase;
  readonly seconds: number[];
  readonly rssMB: number[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function runOnce(argv: readonly string[]): { seconds: number; rssMB: number } {
  const start = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', ...argv], { encoding: 'utf8', maxBuffer: 1 << 30, env: ENV });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const rssKB = Number(r.stderr.trim().split('\n').at(-1));
  if (r.error || !Number.isFinite(rssKB)) throw new Error(`${argv.join(' ')}: did not run (${r.error?.message ?? r.stderr.slice(-400)})`);
  return { seconds, rssMB: rssKB / 1024 };
}

function measure(job: BenchCase): Measured {
  const runs = job.runs ?? RUNS;
  if (runs > 1) runOnce(job.argv); // warm the page cache
  const seconds: number[] = [];
  const rssMB: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = runOnce(job.argv);
    seconds.push(r.seconds);
    rssMB.push(r.rssMB);
  }
  return { job, seconds, rssMB };
}

/**
 * A case and the one that adds to it, run in turn (baseline, case, baseline, …), so that a
 * machine whose speed drifts during the bench slows both alike: the overhead is the median
 * of the differences of each pair of runs.
 */
function measureInterleaved(baseline: BenchCase, job: BenchCase): [Measured, Measured] {
  const runs = Math.max(job.runs ?? RUNS, baseline.runs ?? RUNS);
  runOnce(baseline.argv);
  runOnce(job.argv);
  const a: Measured = { job: baseline, seconds: [], rssMB: [] };
  const b: Measured = { job, seconds: [], rssMB: [] };
  for (let i = 0; i < runs; i++) {
    for (const m of [a, b]) {
      const r = runOnce(m.job.argv);
      m.seconds.push(r.seconds);
      m.rssMB.push(r.rssMB);
    }
  }
  return [a, b];
}

/** The gate's cases in one table: each object, its median and kmidiff's on the same object, and the ratio. */
function gateTable(results: readonly Measured[]): void {
  const gate = results.filter((r) => r.job.gate);
  if (gate.length === 0) return;
  console.log('\n## The typical gate: relinkable (default options) and kmidiff on the same object\n');
  console.log('| object | against | relinkable median s | peak RSS MB | kmidiff median s | kmidiff ÷ relinkable | targets |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | --- |');
  for (const r of gate) {
    const peer = results.find((x) => x.job.peerOf === r.job.id);
    const ours = median(r.seconds);
    const theirs = peer && median(peer.seconds);
    const target = r.job.target!;
    const fast = ours <= target.seconds && Math.max(...r.rssMB) <= target.rssMB;
    const factor = peer?.job.mustBeat;
    const beats = theirs === undefined || factor === undefined || theirs / ours >= factor;
    const targets = `${fast ? 'met' : 'MISSED'} ≤ ${target.seconds} s${factor ? `; ${beats ? 'met' : 'MISSED'} ≥ ${factor}×` : ''}`;
    console.log(`| ${r.job.gate!.object} | ${r.job.gate!.kernel} | ${ours.toFixed(3)} | ${Math.max(...r.rssMB).toFixed(0)} | ${theirs?.toFixed(2) ?? '–'} | ${theirs ? `${(theirs / ours).toFixed(1)}×` : '–'} | ${targets} |`);
  }
}

function main(): number {
  const missing = CASES.flatMap((c) => c.inputs).filter((p) => !existsSync(p));
  if (missing.length) {
    console.error(`bench: missing corpus inputs (run npm run corpus first):\n  ${[...new Set(missing)].join('\n  ')}`);
    return 2;
  }
  const absent = Object.keys(TOOLS).filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { env: ENV }).status !== 0);
  if (absent.length) {
    console.error(`bench: missing tools: ${absent.join(' ')}; install them with:\n  apt-get install -y ${[...new Set(absent.map((t) => TOOLS[t]))].join(' ')}`);
    return 2;
  }
  if (!existsSync(join('dist', 'relinkable.mjs'))) {
    console.error('bench: dist/ is missing: run npm run build');
    return 2;
  }
  // Ids, or prefixes of ids ("gate" runs every gate case, "gate-drbg" drbg's against both kernels, with their peers).
  const only = process.argv.slice(2);
  const cases = only.length ? CASES.filter((c) => only.some((o) => c.id === o || c.id.startsWith(`${o}-`))) : CASES;
  console.log(`# relinkable bench — ${RUNS} runs each after one warm-up (single-run jobs: one run); ${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(2)}\n`);
  const measured = new Map<string, Measured>();
  for (const c of cases) {
    if (measured.has(c.id)) continue;
    const adding = cases.find((x) => x.overhead?.baseline === c.id || (x.interleaved && x.peerOf === c.id));
    const pair = adding ? measureInterleaved(c, adding) : [measure(c)];
    for (const r of pair) {
      measured.set(r.job.id, r);
      console.error(`  ${r.job.id}: median ${median(r.seconds).toFixed(3)} s`);
    }
  }
  const results = cases.map((c) => measured.get(c.id)!);
  console.log('| job | runs | median s | min s | max s | peak RSS MB (max) | target |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
  let failed = 0;
  for (const r of results) {
    const med = median(r.seconds);
    const rss = Math.max(...r.rssMB);
    let target = '';
    if (r.job.target) {
      const ok = med <= r.job.target.seconds && rss <= r.job.target.rssMB;
      if (!ok) failed++;
      target = `${ok ? 'met' : 'MISSED'}: ≤ ${r.job.target.seconds} s, ≤ ${r.job.target.rssMB} MB`;
    }
    console.log(`| ${r.job.title} | ${r.seconds.length} | ${med.toFixed(3)} | ${Math.min(...r.seconds).toFixed(3)} | ${Math.max(...r.seconds).toFixed(3)} | ${rss.toFixed(0)} | ${target} |`);
  }
  console.log('');
  for (const r of results) {
    if (!r.job.peerOf) continue;
    const ours = results.find((x) => x.job.id === r.job.peerOf);
    if (!ours) continue;
    const ratio = median(ours.seconds) / median(r.seconds);
    const memory = Math.max(...ours.rssMB) / Math.max(...r.rssMB);
    let verdict = '';
    if (r.job.mustBeat) {
      const factor = r.job.mustBeat;
      const ok = factor === 1 ? ratio < 1 : ratio <= 1 / factor;
      if (!ok) failed++;
      const goal = factor === 1 ? 'faster than the peer' : `at least ${factor}× faster than the peer`;
      verdict = ` — target ${ok ? 'met' : 'MISSED'}: ${goal}`;
    }
    console.log(`- ${ours.job.id} vs ${r.job.id}: ${ratio.toFixed(2)}× the time, ${memory.toFixed(2)}× the memory${r.job.peerNote ? ` (${r.job.peerNote})` : ''}${verdict}`);
  }
  for (const r of results) {
    const o = r.job.overhead;
    const base = o && results.find((x) => x.job.id === o.baseline);
    if (!o || !base) continue;
    const added = median(r.seconds.map((t, i) => t - base.seconds[i]!));
    const ok = added <= o.maxSeconds;
    if (!ok) failed++;
    console.log(`- ${r.job.id} adds ${(added * 1000).toFixed(0)} ms to ${base.job.id} for ${o.what} (median of ${r.seconds.length} interleaved pairs) — target ${ok ? 'met' : 'MISSED'}: ≤ ${o.maxSeconds * 1000} ms`);
  }
  gateTable(results);
  if (failed) console.log(`\n${failed} target(s) missed`);
  return failed ? 1 : 0;
}

// npm run bench -- scan: the scan of issue 12, on its own (bench/scan.ts).
if (process.argv.slice(2).includes('scan')) scanBench().then((code) => (process.exitCode = code));
else process.exitCode = main();
