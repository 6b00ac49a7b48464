import { homedir } from 'node:os';
import { hashInput } from '../input-file.js';
import { manifestPath, type PathBase } from '../paths.js';
import type { InputRecord } from './record.js';

export type { PathBase };

/** What each file is to the run. The first role named for a path stays (a frozen object also met as a kernel file is the frozen object). */
export class InputRoles {
  readonly #roles = new Map<string, string>();

  name(path: string | undefined, role: string): void {
    if (path !== undefined && !this.#roles.has(path)) this.#roles.set(path, role);
  }

  of(path: string): string | undefined {
    return this.#roles.get(path);
  }
}

/**
 * The manifest of one run: every file it opened (InputLog, in the order first opened), with
 * its role, size and — when `digests` — its sha256, its path relative to `base` (the working
 * and home directories when not given). `roles` names the files the run knows by
 * what they are; any other file it opened under the new kernel is a "kernel file".
 */
export function inputManifest(
  opened: readonly { readonly path: string; readonly size: number }[],
  roles: InputRoles,
  options: { readonly digests: boolean; readonly base: PathBase | undefined; readonly buildIds: ReadonlyMap<string, string | null>; readonly otherRole?: string },
): InputRecord[] {
  const base = options.base ?? { cwd: process.cwd(), home: homedir() };
  return opened.map(({ path, size: openedSize }) => {
    const { sha256, size } = options.digests ? hashInput(path) : { sha256: null, size: openedSize };
    const buildId = options.buildIds.get(path);
    return {
      path: manifestPath(path, base),
      role: roles.of(path) ?? options.otherRole ?? 'kernel file',
      size,
      sha256,
      ...(buildId !== undefined ? { buildId } : {}),
    };
  });
}
