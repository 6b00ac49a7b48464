import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { readInputLines } from '../input-file.js';
import type { FrozenObject } from '../facts/frozen-object.js';
import { SILENT_PROGRESS, type Progress } from '../facts/progress.js';
import { NewKernel } from '../kernel/kernel.js';
import { locateKernel } from '../kernel/locate.js';
import { analyzeOpened, readFrozen, type CheckOptions } from '../run/analyze.js';
import { buildReport } from '../report/report.js';
import { toolVersion } from '../version.js';
import { groupKernelPackages, readDebianPackage, unpackKernel, type DebianPackage } from './debian.js';
import { compareVersions, normalised, type ScanState, type StateCell, type StateRelease } from './state.js';
import { kernelDrift, type Drift } from './drift.js';

/**
 * `relinkable scan`: frozen objects × kernels. Each kernel is read once (one NewKernel) and
 * every object is checked against it; what the first check read of it (exports, BTF,
 * .config, kallsyms) serves the others. Kernels are checked one after the other (the checks
 * are CPU-bound in one thread); the unpacking of .debs runs in child processes, two kernels
 * ahead (p-limit). More parallelism is the shards' (--shard, one process each).
 */

/** One kernel to scan: a directory any `check` layout takes, or the .deb packages of one release. */
export interface KernelInput {
  /** What identifies it across runs: the sha256 of its packages, or its absolute directory. */
  readonly key: string;
  /** How the user named it. */
  readonly label: string;
  readonly directory?: string;
  readonly packages?: readonly DebianPackage[];
}

/** Kernels as given (directories and .deb files, in any order); the .debs grouped by release. Sorted by key: the order shards slice. */
export function kernelInputs(paths: readonly string[]): KernelInput[] {
  const debs = paths.filter((p) => p.endsWith('.deb'));
  const dirs = paths.filter((p) => !p.endsWith('.deb'));
  const out: KernelInput[] = dirs.map((d) => ({ key: `dir:${resolve(d)}`, label: d, directory: d }));
  for (const group of groupKernelPackages(debs.map((d) => readDebianPackage(d)))) {
    const key = createHash('sha256').update(group.map((p) => p.sha256).sort().join('\n')).digest('hex');
    out.push({ key: `deb:${key}`, label: group.map((p) => p.name).join(' + '), packages: group });
  }
  const seen = new Set<string>();
  for (const k of out) {
    if (seen.has(k.key)) throw new UsageError(`kernel ${k.label} given twice`);
    seen.add(k.key);
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : 1));
}

/** A list file: one kernel directory or .deb per line; blank lines and # comments skipped. */
export function readKernelList(file: string): string[] {
  return readInputLines(file, 'kernel list')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) throw new UsageError(`--shard ${text}: give i/N with 1 <= i <= N (e.g. 2/4)`);
  return { index, count };
}

/**
 * The (kernel, object) cells of a shard: the matrix enumerated kernel by kernel, cut into
 * `count` consecutive slices of equal size (±1). Kernels are the expensive part: with at
 * least as many kernels as shards, each kernel is read by one shard (at most two when a
 * slice boundary falls inside it).
 */
export function shardCells<K, O>(kernels: readonly K[], objects: readonly O[], shard: Shard | undefined): { kernel: K; objects: O[] }[] {
  const total = kernels.length * objects.length;
  const [from, to] = shard ? [Math.floor(((shard.index - 1) * total) / shard.count), Math.floor((shard.index * total) / shard.count)] : [0, total];
  const out: { kernel: K; objects: O[] }[] = [];
  for (let c = from; c < to; c++) {
    const kernel = kernels[Math.floor(c / objects.length)]!;
    const object = objects[c % objects.length]!;
    if (out.at(-1)?.kernel !== kernel) out.push({ kernel, objects: [] });
    out.at(-1)!.objects.push(object);
  }
  return out;
}

export interface ScanOptions {
  readonly objects: readonly string[];
  readonly kernels: readonly KernelInput[];
  /** What earlier runs established: cells it has are not scanned again. */
  readonly previous: ScanState;
  readonly shard?: Shard | undefined;
  readonly check: Pick<CheckOptions, 'typeSource' | 'use' | 'signatures'>;
  readonly progress?: Progress;
}

export interface ScanResult {
  /** The previous state with this run's cells added. */
  readonly state: ScanState;
  /** The kernels this run read (each once), by label. */
  readonly kernelsRead: readonly string[];
  /** The cells this run added. */
  readonly scanned: readonly StateCell[];
  /** Where the time went, in seconds (npm run bench -- scan shows the split). */
  readonly seconds: { readonly objects: number; readonly unpack: number; readonly open: number; readonly checks: number };
}

export async function scan(options: ScanOptions): Promise<ScanResult> {
  const progress = options.progress ?? SILENT_PROGRESS;
  if (options.objects.length === 0) throw new UsageError('no frozen objects given');
  if (options.kernels.length === 0) throw new UsageError('no kernels given (--kernel, --kernels or --debian)');
  const frozenByPath = new Map<string, FrozenObject>();
  const read = (path: string) => {
    let f = frozenByPath.get(path);
    if (!f) frozenByPath.set(path, (f = readFrozen(path)));
    return f;
  };
  const seconds = { objects: 0, unpack: 0, open: 0, checks: 0 };
  let t = performance.now();
  const lap = (phase: keyof typeof seconds) => {
    const now = performance.now();
    seconds[phase] += (now - t) / 1000;
    t = now;
  };
  const objects = [...new Set(options.objects)].sort();
  for (const o of objects) read(o);
  lap('objects');
  const moduleNames = [...frozenByPath.values()].flatMap((f) => (f.isModule && f.moduleInfo?.name ? [f.moduleInfo.name] : []));

  const previous = options.previous;
  const releases = new Map(previous.releases.map((r) => [r.release, r]));
  const releaseOfInput = new Map(previous.releases.map((r) => [r.input, r.release]));
  const done = new Set(previous.cells.map((c) => `${c.object}\0${c.release}`));
  const cells: StateCell[] = [...previous.cells];
  const scanned: StateCell[] = [];
  const kernelsRead: string[] = [];

  const work = shardCells(options.kernels, objects, options.shard).flatMap(({ kernel: input, objects: slice }) => {
    const known = releaseOfInput.get(input.key);
    const todo = known ? slice.filter((o) => !done.has(`${read(o).sha256}\0${known}`)) : slice;
    return todo.length ? [{ input, todo }] : [];
  });
  // Unpacking runs in child processes (dpkg-deb, tar, xz, zstd): two kernels at most are
  // unpacked ahead, beside the checks of the kernel at hand, so a cold scan uses both cores.
  const ahead = pLimit(2);
  const directories = work.map(({ input }) => (input.directory !== undefined ? Promise.resolve(input.directory) : ahead(() => unpackKernel(input.packages!, moduleNames))));
  // A failure surfaces when its kernel's turn comes (or not at all, if an earlier one failed first).
  for (const d of directories) d.catch(() => undefined);
  for (const [i, { input, todo }] of work.entries()) {
    progress.step(`reading kernel ${input.label}`);
    t = performance.now();
    const directory = await directories[i]!;
    lap('unpack');
    const kernel = new NewKernel(locateKernel({ kernel: directory }));
    lap('open');
    kernelsRead.push(input.label);
    for (const path of todo) {
      progress.step(`checking ${path} against ${input.label}`);
      const record = await analyzeOpened(kernel, [path], options.check, read);
      lap('checks');
      const release = record.kernel.release ?? input.label;
      if (!releases.has(release)) {
        const banner = kernel.bannerRelease();
        const entry: StateRelease = { release, version: banner?.debianPackage ?? release, input: input.key, kind: record.kernel.input.kind, lacking: record.kernel.input.lacking };
        releases.set(release, entry);
      }
      const report = buildReport(record, toolVersion());
      const cell: StateCell = {
        object: read(path).sha256,
        release,
        verdict: report.verdict,
        findings: record.findings.map((f) => ({ id: f.id, severity: f.severity, subject: f.symbol ?? null })),
      };
      if (done.has(`${cell.object}\0${release}`)) continue;
      done.add(`${cell.object}\0${release}`);
      cells.push(cell);
      scanned.push(cell);
    }
  }
  const state = normalised({
    ...previous,
    objects: mergeObjects(previous, objects.map((path) => ({ path, sha256: read(path).sha256 }))),
    releases: [...releases.values()],
    cells,
  });
  return { state, kernelsRead, scanned, seconds };
}

function mergeObjects(previous: ScanState, current: readonly { path: string; sha256: string }[]): { path: string; sha256: string }[] {
  const byKey = new Map(previous.objects.map((o) => [`${o.sha256}\0${o.path}`, o]));
  for (const o of current) byKey.set(`${o.sha256}\0${o.path}`, o);
  return [...byKey.values()];
}

/**
 * The drift between consecutive releases of each series (major.minor) among the kernels
 * given, oldest first: each kernel opened once, two at a time.
 */
export async function seriesDrift(inputs: readonly KernelInput[]): Promise<Drift[]> {
  const directories = new Map<KernelInput, string>();
  for (const input of inputs) directories.set(input, input.directory ?? (await unpackKernel(input.packages!, [])));
  const open = (input: KernelInput) => new NewKernel(locateKernel({ kernel: directories.get(input)! }));
  const known = inputs.map((input) => {
    const kernel = open(input);
    const banner = kernel.bannerRelease();
    kernel.releaseDescriptors();
    return { input, version: banner?.debianPackage ?? kernel.release() ?? input.label };
  });
  known.sort((a, b) => compareVersions(a.version, b.version));
  const series = (v: string) => /^(\d+\.\d+)/.exec(v)?.[1];
  const out: Drift[] = [];
  let previous: { kernel: NewKernel; version: string } | undefined;
  for (const k of known) {
    const kernel = open(k.input);
    if (previous && series(previous.version) === series(k.version)) out.push(kernelDrift(previous.kernel, kernel));
    previous?.kernel.releaseDescriptors();
    previous = { kernel, version: k.version };
  }
  return out;
}
