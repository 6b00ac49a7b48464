import { isAbsolute, relative, sep } from 'node:path';
import { hashInput } from '../input-file.js';
import type { InputRecord } from './record.js';

/** Where the run is, to write the paths it read as a reader of the report can use them. */
export interface PathBase {
  /** The working directory: a path under it is written relative to it. */
  readonly cwd: string;
  /** The home directory: a path under it (outside cwd) is written `~/…`, never expanded. */
  readonly home: string | undefined;
}

/**
 * A path as the manifest writes it: relative paths as they were given (`--kernel ../k` gives
 * `../k/vmlinux`), an absolute path under the working directory relative to it, one under the
 * home directory from `~`, any other absolute path whole. The report then names no user's
 * home and stays the same when the same inputs are checked from elsewhere in the same tree.
 */
export function manifestPath(path: string, base: PathBase): string {
  if (!isAbsolute(path)) return path;
  const inCwd = relative(base.cwd, path);
  if (inCwd === '') return '.';
  if (!inCwd.startsWith('..') && !isAbsolute(inCwd)) return inCwd;
  if (base.home) {
    const inHome = relative(base.home, path);
    if (inHome !== '' && !inHome.startsWith('..') && !isAbsolute(inHome)) return `~${sep}${inHome}`;
  }
  return path;
}

/**
 * The manifest of one run: every file it opened (InputLog, in the order first opened), with
 * its role, size and — when `digests` — its sha256. `roles` names the files the run knows by
 * what they are; any other file it opened under the new kernel is a "kernel file".
 */
export function inputManifest(
  opened: readonly { readonly path: string; readonly size: number }[],
  roles: ReadonlyMap<string, string>,
  options: { readonly digests: boolean; readonly base: PathBase; readonly buildIds: ReadonlyMap<string, string | null> },
): InputRecord[] {
  return opened.map(({ path, size: openedSize }) => {
    const { sha256, size } = options.digests ? hashInput(path) : { sha256: null, size: openedSize };
    const buildId = options.buildIds.get(path);
    return {
      path: manifestPath(path, options.base),
      role: roles.get(path) ?? 'kernel file',
      size,
      sha256,
      ...(buildId !== undefined ? { buildId } : {}),
    };
  });
}
