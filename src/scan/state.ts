import { InputError } from '../errors.js';
import { jsonSyntaxError } from '../errors.js';
import { inputExists, readInputText } from '../input-file.js';
import { LIMITS } from '../limits.js';
import type { Severity } from '../findings/index.js';
import { SEVERITIES } from '../findings/index.js';

/**
 * The scan state file (docs/scan.md): every (object, release) verdict a scan established,
 * with its findings' ids. A nightly run reads it, scans only what it lacks, and writes it
 * back; shards each write one, and `merge` unions them. Everything in it is sorted and it
 * holds no time or host, so the same cells give the same bytes.
 */

export const STATE_FORMAT = 'relinkable-scan-state';
export const STATE_FORMAT_VERSION = 1;

export interface ScanState {
  readonly format: typeof STATE_FORMAT;
  readonly formatVersion: number;
  /** The frozen objects, by the path given and their sha256. */
  readonly objects: readonly StateObject[];
  /** The kernels scanned, oldest release first. */
  readonly releases: readonly StateRelease[];
  /** One per (object, release) scanned; sorted by release order, then object. */
  readonly cells: readonly StateCell[];
}

export interface StateObject {
  readonly path: string;
  readonly sha256: string;
}

export interface StateRelease {
  /** uname -r, from vmlinux's linux_banner ("6.1.0-47-amd64"). */
  readonly release: string;
  /** What orders releases: the Debian package version of the banner ("6.1.170-3"), else the release. */
  readonly version: string;
  /** What identifies the kernel input: the sha256 of its packages, or its directory. */
  readonly input: string;
  /** "full" or "light" (run/record.ts KernelInputRecord). */
  readonly kind: string;
  /** What a light kernel could not check, as the report says it. */
  readonly lacking: readonly string[];
}

export interface StateCell {
  /** sha256 of the object. */
  readonly object: string;
  readonly release: string;
  readonly verdict: string;
  readonly findings: readonly StateFinding[];
}

export interface StateFinding {
  readonly id: string;
  readonly severity: Severity;
  /** The symbol or type the finding is about, when it has one. */
  readonly subject: string | null;
}

export function emptyState(): ScanState {
  return { format: STATE_FORMAT, formatVersion: STATE_FORMAT_VERSION, objects: [], releases: [], cells: [] };
}

/** Orders Debian versions as dpkg does for the versions kernels carry: digit runs by value, "~" before anything. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.match(/\d+|~|[^\d~]+/g) ?? [];
  const x = parts(a);
  const y = parts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === q) continue;
    if (p === undefined) return q === '~' ? 1 : -1;
    if (q === undefined) return p === '~' ? -1 : 1;
    if (p === '~') return -1;
    if (q === '~') return 1;
    const [m, n] = [Number(p), Number(q)];
    if (/^\d+$/.test(p) && /^\d+$/.test(q)) return m - n;
    return p < q ? -1 : 1;
  }
  return 0;
}

const byRelease = (a: StateRelease, b: StateRelease) => compareVersions(a.version, b.version) || (a.release < b.release ? -1 : a.release > b.release ? 1 : 0);

/**
 * States put together: the union of their objects, releases and cells, sorted. The same cell
 * in two states must say the same (a shard run twice gives the same cell); different
 * verdicts for one cell are an InputError naming both.
 */
export function mergeStates(states: readonly { state: ScanState; file: string }[]): ScanState {
  const objects = new Map<string, StateObject>();
  const releases = new Map<string, StateRelease>();
  const cells = new Map<string, { cell: StateCell; file: string }>();
  for (const { state, file } of states) {
    for (const o of state.objects) objects.set(`${o.sha256}\0${o.path}`, o);
    for (const r of state.releases) releases.set(r.release, r);
    for (const c of state.cells) {
      const key = `${c.object}\0${c.release}`;
      const had = cells.get(key);
      if (had && JSON.stringify(had.cell) !== JSON.stringify(c)) {
        throw new InputError(file, `says ${c.verdict} for object ${c.object.slice(0, 12)}… against ${c.release}; ${had.file} says ${had.cell.verdict}: states of different runs`);
      }
      cells.set(key, { cell: c, file });
    }
  }
  return normalised({ format: STATE_FORMAT, formatVersion: STATE_FORMAT_VERSION, objects: [...objects.values()], releases: [...releases.values()], cells: [...cells.values()].map((c) => c.cell) });
}

/** The state in its one order: objects by path, releases by version, cells by release then object path. */
export function normalised(state: ScanState): ScanState {
  const objects = [...state.objects].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.sha256 < b.sha256 ? -1 : 1));
  const releases = [...state.releases].sort(byRelease);
  const rank = new Map(releases.map((r, i) => [r.release, i]));
  const objectRank = new Map(objects.map((o, i) => [o.sha256, i]));
  const cells = [...state.cells].sort((a, b) => rank.get(a.release)! - rank.get(b.release)! || objectRank.get(a.object)! - objectRank.get(b.object)!);
  return { format: STATE_FORMAT, formatVersion: STATE_FORMAT_VERSION, objects, releases, cells };
}

export function renderState(state: ScanState): string {
  return `${JSON.stringify(normalised(state), null, 2)}\n`;
}

/** A state file, checked field by field; absent (a first run) is the empty state when `optional`. */
export function readState(file: string, optional = false): ScanState {
  if (optional && !inputExists(file)) return emptyState();
  const text = readInputText(file, 'scan state', 'utf8', LIMITS.JSON_FILE_SIZE);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new InputError(file, `not JSON: ${jsonSyntaxError(err, text)}`);
  }
  const bad = (what: string) => new InputError(file, `not a scan state: ${what}`);
  const o = data as Record<string, unknown>;
  if (!o || typeof o !== 'object' || o.format !== STATE_FORMAT) throw bad(`"format" is not "${STATE_FORMAT}"`);
  if (o.formatVersion !== STATE_FORMAT_VERSION) throw bad(`formatVersion ${String(o.formatVersion)}; this relinkable reads ${STATE_FORMAT_VERSION}`);
  const str = (v: unknown, what: string) => {
    if (typeof v !== 'string') throw bad(`${what} is not a string`);
    return v;
  };
  const arr = (v: unknown, what: string) => {
    if (!Array.isArray(v)) throw bad(`${what} is not a list`);
    return v as Record<string, unknown>[];
  };
  const objects = arr(o.objects, 'objects').map((x, i) => ({ path: str(x?.path, `objects[${i}].path`), sha256: str(x?.sha256, `objects[${i}].sha256`) }));
  const releases = arr(o.releases, 'releases').map((x, i) => ({
    release: str(x?.release, `releases[${i}].release`),
    version: str(x?.version, `releases[${i}].version`),
    input: str(x?.input, `releases[${i}].input`),
    kind: str(x?.kind, `releases[${i}].kind`),
    lacking: arr(x?.lacking, `releases[${i}].lacking`).map((l, j) => str(l, `releases[${i}].lacking[${j}]`)),
  }));
  const known = new Set(releases.map((r) => r.release));
  const cells = arr(o.cells, 'cells').map((x, i) => {
    const release = str(x?.release, `cells[${i}].release`);
    if (!known.has(release)) throw bad(`cells[${i}] is of release ${release}, which "releases" does not list`);
    return {
      object: str(x?.object, `cells[${i}].object`),
      release,
      verdict: str(x?.verdict, `cells[${i}].verdict`),
      findings: arr(x?.findings, `cells[${i}].findings`).map((f, j) => {
        const severity = str(f?.severity, `cells[${i}].findings[${j}].severity`);
        if (!(SEVERITIES as readonly string[]).includes(severity)) throw bad(`cells[${i}].findings[${j}].severity ${severity} is no severity`);
        const subject = f?.subject;
        if (subject !== null && typeof subject !== 'string') throw bad(`cells[${i}].findings[${j}].subject is neither a string nor null`);
        return { id: str(f?.id, `cells[${i}].findings[${j}].id`), severity: severity as Severity, subject: subject as string | null };
      }),
    };
  });
  return normalised({ format: STATE_FORMAT, formatVersion: STATE_FORMAT_VERSION, objects, releases, cells });
}
