// npm run bench -- scan (issue 12): the 13 gate modules of Debian 6.1.170, relinked, against
// every light kernel of the scan corpus (scripts/corpus/light.tsv: the image and headers
// packages of 13 Debian 6.1 and 6.12 releases), cold (a fresh unpack cache; the .debs are
// already downloaded) and warm (unpacked), as the CLI runs it; then the same warm scan in
// this process, to say where the time goes. Each kernel must be read once: the CLI says how
// many kernels it read, and the bench asserts 13 (and 0 for a rerun with the state file).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, homedir, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { GATE_MODULES } from './gate.js';
import { kernelInputs, scan } from '../src/scan/scan.js';
import { emptyState } from '../src/scan/state.js';

const CACHE = process.env.RELINKABLE_CACHE ?? join(homedir(), '.cache', 'relinkable');
const CLI = join('dist', 'relinkable.mjs');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** Target of issue 12: the warm scan of the whole matrix. */
const WARM_TARGET_SECONDS = 10;

function lightDebs(): string[] {
  return readFileSync(join('scripts', 'corpus', 'light.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split('\t'))
    .map(([name, version]) => join(CACHE, 'debs', `${name}_${version!.replace(/:/g, '%3a')}_${name!.endsWith('-common') ? 'all' : 'amd64'}.deb`));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export async function scanBench(): Promise<number> {
  const objects = GATE_MODULES.map((m) => join(CACHE, 'corpus', '6.1.170', 'usr/lib/debug/lib/modules/6.1.0-47-amd64/kernel', `${m}.ko`));
  const debs = lightDebs();
  const work = mkdtempSync(join(tmpdir(), 'relinkable-bench-scan-'));
  const list = join(work, 'kernels');
  writeFileSync(list, `${debs.join('\n')}\n`);
  const unpacked = join(work, 'cache');
  let failed = 0;
  const run = (what: string, extra: string[], kernels: number): number => {
    const start = process.hrtime.bigint();
    // CPU seconds beside the wall clock: on a shared machine the wall clock also measures the neighbours.
    const r = spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', process.execPath, CLI, 'scan', ...objects, '--kernels', list, '--relink', '--fail-on', 'never', '--no-progress', ...extra], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
      env: { ...process.env, RELINKABLE_CACHE: unpacked },
    });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const read = /(\d+) kernel\(s\) read, (\d+) cell\(s\) scanned/.exec(r.stderr);
    const cpu = /cpu ([\d.]+) ([\d.]+)/.exec(r.stderr);
    if (r.status !== 0 || !read || !cpu) throw new Error(`scan (${what}) failed: ${r.stderr.slice(-400)}`);
    const ok = Number(read[1]) === kernels;
    if (!ok) failed++;
    console.log(`| ${what} | ${seconds.toFixed(2)} | ${(Number(cpu[1]) + Number(cpu[2])).toFixed(2)} | ${read[1]} kernels read (${ok ? 'as expected' : `MISSED: expected ${kernels}`}), ${read[2]} cells |`);
    return seconds;
  };
  console.log(`# relinkable scan bench: ${objects.length} objects × ${debs.length / 3} light kernels (13 Debian 6.1/6.12 releases)\n`);
  console.log(`load average ${loadavg()[0]!.toFixed(2)} on ${cpus().length} CPUs\n`);
  console.log('| run | wall s | CPU s (user + sys, with child tools) | kernels read, cells |');
  console.log('| --- | ---: | ---: | --- |');
  run('cold: unpack the .debs (downloads excluded), then scan', [], debs.length / 3);
  const warm: number[] = [];
  for (let i = 0; i < RUNS; i++) warm.push(run(`warm ${i + 1}`, [], debs.length / 3));
  const state = join(work, 'state.json');
  run('warm, writing a state file', ['--state', state], debs.length / 3);
  run('again with that state file: nothing to scan', ['--state', state], 0);

  process.env.RELINKABLE_CACHE = unpacked;
  const t = performance.now();
  const kernels = kernelInputs(debs);
  const inputs = (performance.now() - t) / 1000;
  const result = await scan({ objects, kernels, previous: emptyState(), check: { use: 'relinked' } });
  const s = result.seconds;
  console.log(`\nWarm, in process: packages identified (cached sha256) ${inputs.toFixed(2)} s; objects read ${s.objects.toFixed(2)} s; unpack checked ${s.unpack.toFixed(2)} s;`);
  console.log(`kernels opened (vmlinux, kallsyms) ${s.open.toFixed(2)} s; ${result.scanned.length} checks ${s.checks.toFixed(2)} s (${((s.checks / result.scanned.length) * 1000).toFixed(0)} ms each).`);
  const med = median(warm);
  const met = med <= WARM_TARGET_SECONDS;
  if (!met) failed++;
  console.log(`\nwarm median ${med.toFixed(2)} s — target ${met ? 'met' : 'MISSED'}: ≤ ${WARM_TARGET_SECONDS} s`);
  rmSync(work, { recursive: true, force: true });
  return failed ? 1 : 0;
}
