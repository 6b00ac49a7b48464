import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { JAZZER_CLI, engineEnvironment } from './engine.js';
import { ROOT } from './target.js';
import { TARGETS } from './targets/index.js';

/**
 * `npm run fuzz`: each target in turn under jazzer.js for a time budget, its corpus kept in
 * .fuzz/corpus/<target> between runs (the seeds are made afresh from the fixtures each run),
 * a crashing input saved in .fuzz/crashes/<target>/. Exit 1 when any target crashed, hung or
 * broke the contract in this run. Options: --seconds N per target (or RELINKABLE_FUZZ_SECONDS; 60),
 * --target NAME (repeatable; all by default), --work DIR (.fuzz).
 */

/** One input's bounds: longer is a hang, more memory a leak or a bomb. Inputs are a few KB; the fixture kernel check takes ~0.1 s. */
const INPUT_TIMEOUT_MS = 10_000;
const RSS_LIMIT_MB = 2048;
/** Seeds are tens of KB (vmlinux's BTF, a linker script); mutations may grow an input to this. */
const MAX_INPUT_LENGTH = 256 * 1024;

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: process.env.RELINKABLE_FUZZ_SECONDS ?? '60' },
    target: { type: 'string', multiple: true },
    work: { type: 'string', default: join(ROOT, '.fuzz') },
  },
});
const seconds = Number(values.seconds);
if (!Number.isInteger(seconds) || seconds <= 0) throw new Error(`--seconds: ${values.seconds} is not a whole number of seconds`);
const unknown = (values.target ?? []).filter((n) => !TARGETS.some((t) => t.name === n));
if (unknown.length > 0) throw new Error(`--target: no target ${unknown.join(', ')} (there are ${TARGETS.map((t) => t.name).join(', ')})`);
const chosen = values.target ? TARGETS.filter((t) => values.target!.includes(t.name)) : TARGETS;
const work = values.work!;
const env = engineEnvironment(work);
const entry = join(ROOT, 'dist', 'fuzz', 'entry.js');

interface Outcome {
  target: string;
  crashed: boolean;
  executions: string;
  coverage: string;
  features: string;
  corpus: string;
  peakRssMb: string;
  log: string;
}

/** The figures libFuzzer prints as it goes (`#N … cov: C ft: F corp: U/Sb`) and at the end (`stat::…`). */
function figures(log: string): Pick<Outcome, 'executions' | 'coverage' | 'features' | 'corpus' | 'peakRssMb'> {
  const progress = [...log.matchAll(/^#(\d+)\s+\S+\s+cov: (\d+) ft: (\d+) corp: (\d+)\/(\S+)/gm)].at(-1);
  const stat = (name: string) => new RegExp(`^stat::${name}:\\s*(\\d+)`, 'm').exec(log)?.[1] ?? '?';
  return {
    executions: stat('number_of_executed_units') !== '?' ? stat('number_of_executed_units') : progress?.[1] ?? '?',
    coverage: progress?.[2] ?? '?',
    features: progress?.[3] ?? '?',
    corpus: progress ? `${progress[4]} inputs, ${progress[5]}` : '?',
    peakRssMb: stat('peak_rss_mb'),
  };
}

async function fuzzOne(name: string, async: boolean): Promise<Outcome> {
  const target = TARGETS.find((t) => t.name === name)!;
  const corpus = join(work, 'corpus', name);
  const seeds = join(work, 'seeds', name);
  const crashes = join(work, 'crashes', name);
  rmSync(seeds, { recursive: true, force: true });
  for (const dir of [corpus, seeds, crashes, join(work, 'logs')]) mkdirSync(dir, { recursive: true });
  for (const [seed, bytes] of target.seeds()) writeFileSync(join(seeds, seed), bytes);
  // Inputs saved by earlier runs were reported then; this run fails only on its own.
  const before = new Set(readdirSync(crashes));
  const log = join(work, 'logs', `${name}.log`);
  const args = [
    JAZZER_CLI,
    entry,
    corpus,
    seeds,
    ...(async ? [] : ['--sync']),
    `--timeout=${INPUT_TIMEOUT_MS}`,
    // The path-traversal detector fails any path function called with its canary
    // ("../../jaz_zer"), whether or not a file is opened: relinkable builds paths from input
    // for display (DWARF file names) and for containment checks (thin-archive members,
    // test/robustness/messages.test.ts), which is where the canary lands.
    '--disableBugDetectors=path-traversal',
    '--',
    `-max_total_time=${seconds}`,
    `-rss_limit_mb=${RSS_LIMIT_MB}`,
    `-max_len=${MAX_INPUT_LENGTH}`,
    `-artifact_prefix=${crashes}/`,
    '-print_final_stats=1',
  ];
  const out = createWriteStream(log);
  const text: string[] = [];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...env, RELINKABLE_FUZZ_TARGET: name }, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk: Buffer) => {
      out.write(chunk);
      text.push(chunk.toString('utf8'));
    });
  }
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  out.end();
  const all = text.join('');
  const found = readdirSync(crashes).filter((f) => !before.has(f));
  return { target: name, crashed: code !== 0 || found.length > 0, ...figures(all), log: relative(ROOT, log) };
}

const outcomes: Outcome[] = [];
for (const target of chosen) {
  process.stderr.write(`fuzz: ${target.name} (${target.input}) for ${seconds} s…\n`);
  const o = await fuzzOne(target.name, target.async === true);
  outcomes.push(o);
  process.stderr.write(`fuzz: ${o.target}: ${o.crashed ? 'CRASH, see ' + o.log : 'no crash'}; ${o.executions} executions, cov ${o.coverage}, ft ${o.features}, corpus ${o.corpus}, peak RSS ${o.peakRssMb} MB\n`);
}
console.log('| target | seconds | executions | coverage (cov) | features (ft) | corpus | peak RSS MB | crashes |');
console.log('| --- | ---: | ---: | ---: | ---: | --- | ---: | --- |');
for (const o of outcomes) console.log(`| ${o.target} | ${seconds} | ${o.executions} | ${o.coverage} | ${o.features} | ${o.corpus} | ${o.peakRssMb} | ${o.crashed ? `yes: ${o.log}` : '0'} |`);
process.exitCode = outcomes.some((o) => o.crashed) ? 1 : 0;
