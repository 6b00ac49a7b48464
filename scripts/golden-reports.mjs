#!/usr/bin/env node
// Golden reports: record the text and JSON reports of a fixed set of real `relinkable check`
// runs, and compare two recordings byte for byte (to show that a refactor changed no output).
//
//   node scripts/golden-reports.mjs record <outdir> [--bin dist/relinkable.mjs] [--repo DIR] [--jobs 2]
//   node scripts/golden-reports.mjs compare <dirA> <dirB>
//   node scripts/golden-reports.mjs list                       # the cases, and which would be skipped
//
// record: every case runs twice, `--no-color` (text) and `--format json`, always from the same
// working directory (--repo, default: the repository holding this script) with fixture paths
// relative to it, so that two builds living in different directories print identical paths.
// Per case it writes <case>.txt, <case>.json and <case>.exit (exit code of each run, and its
// stderr if any), plus CASES (every case with its arguments, or why it was skipped) and
// RECORDING (which bin, when, how long: not compared). The exit codes are recorded as they
// are: no --fail-on. A case whose corpus parts are not in ${RELINKABLE_CACHE:-~/.cache/relinkable}
// is skipped with one line naming them.
//
// compare: every file of both recordings except RECORDING; prints each differing or missing
// file with its first differing line, then `compared N reports: I identical, M differ`
// (N counts every compared file: .txt, .json, .exit and CASES); exit 1 on any difference.
//
// The cases: (a) every `check` the test suite runs on real data (test/corpus/*.test.ts, the
// fixture cases of test/checks/fixtures.test.ts, and the `npm start` example), (b) every
// 6.1.170 crypto module the corpus extracted (kernel/crypto, kernel/arch/x86/crypto) against
// 6.1.192 and 6.12.117, with --type-source btf and with --type-source dwarf.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT_REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = process.env.RELINKABLE_CACHE ?? join(homedir(), '.cache', 'relinkable');
const ABI = { '6.1.170': '6.1.0-47-amd64', '6.1.192': '6.1.0-56-amd64', '6.12.117': '6.12.117+deb12-amd64' };
const RUN_TIMEOUT_MS = 30 * 60_000;
const META = 'RECORDING'; // not compared
const CASE_LIST = 'CASES';

// ---------------------------------------------------------------------------------------------
// Corpus paths. Each carries the marker that says it is complete: a corpus version directory
// appears only when extracted (.complete), but a tree's build directory exists while it builds.

/** A path argument, with the file whose presence says it can be used. */
const corpus = (v) => ({ path: join(CACHE, 'corpus', v), marker: join(CACHE, 'corpus', v, '.complete'), label: `corpus ${v}` });
const inCorpus = (v, rel) => ({ path: join(CACHE, 'corpus', v, rel), marker: join(CACHE, 'corpus', v, '.complete'), label: `corpus ${v}` });
const debianModule = (v, rel) => inCorpus(v, join('usr/lib/debug/lib/modules', ABI[v], 'kernel', rel));
const vmlinux = (v) => inCorpus(v, join('usr/lib/debug/boot', `vmlinux-${ABI[v]}`));
const symvers = (v) => inCorpus(v, join('usr/src', `linux-headers-${ABI[v]}`, 'Module.symvers'));
const tree = (v, rel = '') => ({ path: join(CACHE, 'trees', v, 'build', rel), marker: join(CACHE, 'trees', v, '.build-complete'), label: `tree ${v}` });
/** Fixtures: relative to the fixed working directory. */
const fixture = (rel) => ({ path: join('fixtures', rel), marker: null, label: 'fixtures' });

const short = (rel) => rel.replace(/^.*\//, '').replace(/\.(ko|o)$/, '');

/** The case list. Each: name (a file name), args (strings or path arguments), from (where the invocation comes from). */
function cases() {
  const list = [];
  const add = (name, from, ...args) => list.push({ name, from, args });

  // (a) test/checks/fixtures.test.ts, and package.json's npm start (the first case; without --fail-on never).
  add('fixture-rng_driver-on-new-kernel', 'test/checks/fixtures.test.ts; npm start', fixture('frozen/rng_driver.o'), '--kernel', fixture('new-kernel'));
  add('fixture-rng_mod-on-new-kernel', 'test/checks/fixtures.test.ts', fixture('frozen/rng_mod.ko'), '--kernel', fixture('new-kernel'));
  add('fixture-rng_driver-on-old-kernel', 'test/checks/fixtures.test.ts', fixture('frozen/rng_driver.o'), '--kernel', fixture('old-kernel'));
  add('fixture-rng_mod-on-old-kernel', 'test/checks/fixtures.test.ts', fixture('frozen/rng_mod.ko'), '--kernel', fixture('old-kernel'));

  // (a) test/corpus/debian.test.ts
  const jitter = () => debianModule('6.1.170', 'crypto/jitterentropy_rng.ko');
  add('debian-6.1.170-jitterentropy_rng-on-6.12.117', 'test/corpus/debian.test.ts; primitives.test.ts; signatures.test.ts (text)', jitter(), '--kernel', corpus('6.12.117'));
  add('debian-6.1.170-jitterentropy_rng-on-6.12.117-vmlinux-symvers', 'test/corpus/debian.test.ts', jitter(), '--vmlinux', vmlinux('6.12.117'), '--symvers', symvers('6.12.117'));
  add('debian-6.1.170-jitterentropy_rng-on-6.1.192', 'test/corpus/debian.test.ts; primitives.test.ts', jitter(), '--kernel', corpus('6.1.192'));
  add('tree-6.1.170-jitterentropy-kcapi-on-debian-6.12.117', 'test/corpus/debian.test.ts', tree('6.1.170', 'crypto/jitterentropy-kcapi.o'), '--kernel', corpus('6.12.117'));

  // (a) test/corpus/primitives.test.ts
  for (const m of ['kvm-intel', 'kvm-amd']) {
    add(`debian-6.1.170-${m}-on-6.12.117-built-with-6.1.170-none`, 'test/corpus/primitives.test.ts',
      debianModule('6.1.170', `arch/x86/kvm/${m}.ko`), '--kernel', corpus('6.12.117'), '--built-with', corpus('6.1.170'), '--type-source', 'none');
  }
  add('debian-6.1.170-kvm-intel-on-6.12.117-none', 'test/corpus/primitives.test.ts',
    debianModule('6.1.170', 'arch/x86/kvm/kvm-intel.ko'), '--kernel', corpus('6.12.117'), '--type-source', 'none');
  add('debian-6.1.170-gcm-on-6.12.117-none', 'test/corpus/primitives.test.ts', debianModule('6.1.170', 'crypto/gcm.ko'), '--kernel', corpus('6.12.117'), '--type-source', 'none');
  add('debian-6.1.170-gcm-on-6.1.170-none', 'test/corpus/primitives.test.ts', debianModule('6.1.170', 'crypto/gcm.ko'), '--kernel', corpus('6.1.170'), '--type-source', 'none');
  const MODULES = ['crypto/gcm.ko', 'arch/x86/kvm/kvm.ko', 'arch/x86/kvm/kvm-intel.ko', 'arch/x86/kvm/kvm-amd.ko', 'arch/x86/crypto/aesni-intel.ko'];
  for (const m of MODULES) {
    add(`debian-6.12.117-${short(m)}-on-6.12.117-built-with-6.12.117-none`, 'test/corpus/primitives.test.ts',
      debianModule('6.12.117', m), '--kernel', corpus('6.12.117'), '--built-with', corpus('6.12.117'), '--type-source', 'none');
  }
  for (const m of MODULES) {
    add(`debian-6.1.170-${short(m)}-on-6.1.192-built-with-6.1.170-none`, 'test/corpus/primitives.test.ts',
      debianModule('6.1.170', m), '--kernel', corpus('6.1.192'), '--built-with', corpus('6.1.170'), '--type-source', 'none');
  }

  // (a) test/corpus/trees.test.ts
  add('tree-6.1.170-jitterentropy-on-tree-6.1.192', 'test/corpus/trees.test.ts', tree('6.1.170', 'crypto/jitterentropy.o'), '--kernel', tree('6.1.192'));
  add('tree-6.1.170-jitterentropy-kcapi-on-tree-6.12.117', 'test/corpus/trees.test.ts', tree('6.1.170', 'crypto/jitterentropy-kcapi.o'), '--kernel', tree('6.12.117'));
  add('tree-6.1.192-jitterentropy-on-tree-6.1.192', 'test/corpus/trees.test.ts', tree('6.1.192', 'crypto/jitterentropy.o'), '--kernel', tree('6.1.192'));

  // (b) every 6.1.170 crypto module the corpus extracted, against 6.1.192 and 6.12.117, BTF and DWARF.
  // (signatures.test.ts runs jitterentropy_rng.ko on 6.12.117 with btf and dwarf: among these.)
  const base = debianModule('6.1.170', '');
  const crypto = [];
  if (existsSync(base.marker)) {
    for (const dir of ['crypto', 'arch/x86/crypto']) {
      const abs = join(base.path, dir);
      if (!existsSync(abs)) continue;
      for (const f of readdirSync(abs).filter((n) => n.endsWith('.ko')).sort()) crypto.push(`${dir}/${f}`);
    }
  }
  const unlisted = [];
  if (crypto.length === 0) unlisted.push(`6.1.170 crypto modules x {6.1.192, 6.12.117} x {btf, dwarf}: needs corpus 6.1.170 (${base.marker} missing): the modules cannot be listed`);
  for (const m of crypto) {
    for (const v of ['6.1.192', '6.12.117']) {
      for (const source of ['btf', 'dwarf']) {
        add(`crypto-6.1.170-${short(m)}-on-${v}-${source}`, m === 'crypto/jitterentropy_rng.ko' && v === '6.12.117' ? 'crypto modules; test/corpus/signatures.test.ts' : 'crypto modules',
          debianModule('6.1.170', m), '--kernel', corpus(v), '--type-source', source);
      }
    }
  }

  // One run per distinct invocation.
  const seen = new Map();
  for (const c of list) {
    const key = c.args.map((a) => (typeof a === 'string' ? a : a.path)).join('\0');
    if (seen.has(key)) throw new Error(`cases ${seen.get(key)} and ${c.name} run the same invocation`);
    if ([...seen.values()].includes(c.name)) throw new Error(`two cases named ${c.name}`);
    seen.set(key, c.name);
  }
  return { list, unlisted };
}

/** What a case lacks: the corpus parts that are not there (empty: it can run). */
function missing(c, cwd) {
  const lacks = new Set();
  for (const a of c.args) {
    if (typeof a === 'string') continue;
    if (a.marker && !existsSync(a.marker)) lacks.add(`${a.label} (${a.marker} missing)`);
    else if (!existsSync(resolve(cwd, a.path))) lacks.add(`${a.path} missing`);
  }
  return [...lacks];
}

const argv = (c) => c.args.map((a) => (typeof a === 'string' ? a : a.path));
const quote = (s) => (/^[\w./+=:,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

// ---------------------------------------------------------------------------------------------

function usage(message) {
  if (message) process.stderr.write(`golden-reports: ${message}\n`);
  process.stderr.write(
    'usage: node scripts/golden-reports.mjs record <outdir> [--bin dist/relinkable.mjs] [--repo DIR] [--jobs N]\n' +
      '       node scripts/golden-reports.mjs compare <dirA> <dirB>\n' +
      '       node scripts/golden-reports.mjs list [--repo DIR]\n',
  );
  process.exit(2);
}

function parseOptions(args, known) {
  const positional = [];
  const options = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--')) {
      const [name, inline] = a.slice(2).split(/=(.*)/s);
      if (!known.includes(name)) usage(`unknown option ${a}`);
      const value = inline ?? args[++i];
      if (value === undefined) usage(`${a} needs a value`);
      options[name] = value;
    } else positional.push(a);
  }
  return { positional, options };
}

/** Runs one relinkable process; resolves with its exit status, stdout and stderr. */
function run(bin, args, cwd) {
  return new Promise((done) => {
    const env = { ...process.env };
    delete env.FORCE_COLOR;
    const child = spawn(process.execPath, [bin, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, RUN_TIMEOUT_MS);
    child.on('error', (e) => err.push(Buffer.from(`spawn failed: ${e.message}\n`)));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const status = timedOut ? `timeout after ${RUN_TIMEOUT_MS / 1000} s` : signal ? `signal ${signal}` : String(code);
      done({ status, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() });
    });
  });
}

/** Runs tasks with at most `jobs` at once. */
async function pool(tasks, jobs) {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]();
  };
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

async function record(args) {
  const { positional, options } = parseOptions(args, ['bin', 'repo', 'jobs']);
  if (positional.length !== 1) usage('record takes one output directory');
  const out = resolve(positional[0]);
  const bin = resolve(options.bin ?? join(SCRIPT_REPO, 'dist', 'relinkable.mjs'));
  const cwd = resolve(options.repo ?? SCRIPT_REPO);
  const jobs = Number(options.jobs ?? 2);
  if (!Number.isInteger(jobs) || jobs < 1) usage('--jobs takes a positive integer');
  if (!existsSync(bin)) usage(`${bin} is missing (npm run build)`);
  if (!existsSync(join(cwd, 'fixtures'))) usage(`${cwd} has no fixtures/ (give --repo the repository root)`);

  if (existsSync(out) && readdirSync(out).length > 0) {
    // Only ever replace a previous recording, never anything else.
    if (!existsSync(join(out, META))) usage(`${out} is not empty and holds no recording`);
    for (const f of readdirSync(out)) if (/\.(txt|json|exit)$/.test(f) || f === CASE_LIST || f === META) rmSync(join(out, f));
  }
  mkdirSync(out, { recursive: true });

  const { list, unlisted } = cases();
  const runnable = [];
  const skipped = [];
  for (const c of list) {
    const lacks = missing(c, cwd);
    if (lacks.length) skipped.push(`${c.name}: needs ${lacks.join(', ')}`);
    else runnable.push(c);
  }
  skipped.push(...unlisted);
  for (const s of skipped) console.log(`skip ${s}`);

  const caseLines = [];
  for (const c of list) {
    const lacks = missing(c, cwd);
    caseLines.push(`${c.name}\t${lacks.length ? 'SKIPPED' : 'run'}\t${argv(c).map(quote).join(' ')}\t# ${c.from}`);
  }
  for (const u of unlisted) caseLines.push(`-\tSKIPPED\t${u}`);
  writeFileSync(join(out, CASE_LIST), `${caseLines.join('\n')}\n`);

  console.log(`recording ${runnable.length} cases (${runnable.length * 2} reports) with ${bin}, cwd ${cwd}, ${jobs} at a time`);
  const t0 = Date.now();
  const results = new Map(runnable.map((c) => [c.name, {}]));
  const tasks = [];
  for (const c of runnable) {
    for (const format of ['text', 'json']) {
      tasks.push(async () => {
        const t = Date.now();
        const extra = format === 'text' ? ['--no-color'] : ['--format', 'json'];
        const r = await run(bin, ['check', ...argv(c), ...extra], cwd);
        // Report format 6 names the commit relinkable ran from: it tells the two builds apart by
        // design, so it is blanked (the rest of the report is what a comparison is about).
        const stdout = format === 'json' ? Buffer.from(r.stdout.toString().replace(/^( {4}"commit": )"[0-9a-f]{40}(\+dirty)?"/m, '$1"(not recorded)"')) : r.stdout;
        writeFileSync(join(out, `${c.name}.${format === 'text' ? 'txt' : 'json'}`), stdout);
        const mine = results.get(c.name);
        mine[format] = r;
        if (mine.text && mine.json) {
          const exit = (f) => `${f} exit ${mine[f].status}\n${mine[f].stderr ? `${f} stderr:\n${mine[f].stderr.replace(/\n?$/, '\n')}` : ''}`;
          writeFileSync(join(out, `${c.name}.exit`), exit('text') + exit('json'));
        }
        console.log(`  ${c.name} (${format}): exit ${r.status}, ${seconds(Date.now() - t)}${r.stderr ? `, stderr: ${r.stderr.split('\n')[0]}` : ''}`);
      });
    }
  }
  await pool(tasks, jobs);
  const took = Date.now() - t0;
  writeFileSync(
    join(out, META),
    `bin ${bin}\ncwd ${cwd}\ncache ${CACHE}\nnode ${process.version}\nstarted ${new Date(t0).toISOString()}\ntook ${seconds(took)}\n` +
      `cases ${runnable.length} recorded (${runnable.length * 2} reports), ${skipped.length} skipped\n`,
  );
  console.log(`recorded ${runnable.length} cases (${runnable.length} text + ${runnable.length} json reports) in ${seconds(took)} into ${out}`);
  console.log(`skipped ${skipped.length} case${skipped.length === 1 ? '' : 's'}${skipped.length ? ' (listed above)' : ''}`);
}

function firstDifference(a, b) {
  const la = a.toString('utf8').split('\n');
  const lb = b.toString('utf8').split('\n');
  const clip = (s) => (s === undefined ? '<end of file>' : JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}…` : s));
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return { line: i + 1, a: clip(la[i]), b: clip(lb[i]) };
  }
  return { line: 0, a: '(bytes differ, lines equal after decoding)', b: '' };
}

function compare(args) {
  const { positional } = parseOptions(args, []);
  if (positional.length !== 2) usage('compare takes two recording directories');
  const [dirA, dirB] = positional.map((d) => resolve(d));
  console.log(`A: ${dirA}\nB: ${dirB}`);
  for (const d of [dirA, dirB]) {
    if (!existsSync(d) || !statSync(d).isDirectory()) usage(`${d} is not a directory`);
    if (!existsSync(join(d, CASE_LIST))) usage(`${d} holds no recording (no ${CASE_LIST})`);
  }
  const files = (d) => readdirSync(d).filter((f) => f !== META && statSync(join(d, f)).isFile());
  const names = [...new Set([...files(dirA), ...files(dirB)])].sort();
  let identical = 0;
  let differ = 0;
  for (const f of names) {
    const pa = join(dirA, f);
    const pb = join(dirB, f);
    if (!existsSync(pa) || !existsSync(pb)) {
      differ++;
      console.log(`${f}: missing in ${existsSync(pa) ? `B (${dirB})` : `A (${dirA})`}`);
      continue;
    }
    const a = readFileSync(pa);
    const b = readFileSync(pb);
    if (a.equals(b)) {
      identical++;
      continue;
    }
    differ++;
    const d = firstDifference(a, b);
    console.log(`${f}: differs at line ${d.line}\n  A: ${d.a}\n  B: ${d.b}`);
  }
  console.log(`compared ${names.length} reports: ${identical} identical, ${differ} differ`);
  process.exit(differ ? 1 : 0);
}

function listCases(args) {
  const { positional, options } = parseOptions(args, ['repo']);
  if (positional.length) usage('list takes no arguments');
  const cwd = resolve(options.repo ?? SCRIPT_REPO);
  const { list, unlisted } = cases();
  let skipped = unlisted.length;
  for (const c of list) {
    const lacks = missing(c, cwd);
    if (lacks.length) skipped++;
    console.log(`${lacks.length ? 'skip' : 'run '} ${c.name}: check ${argv(c).map(quote).join(' ')}${lacks.length ? `  [needs ${lacks.join(', ')}]` : ''}`);
  }
  for (const u of unlisted) console.log(`skip ${u}`);
  console.log(`${list.length} cases, ${list.length - (skipped - unlisted.length)} runnable, ${skipped} skipped`);
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'record') await record(rest);
else if (command === 'compare') compare(rest);
else if (command === 'list') listCases(rest);
else usage(command ? `unknown command ${command}` : undefined);
