import { hashInput } from '../input-file.js';
import { manifestPath, type PathBase } from '../paths.js';
import type { InputRecord } from './record.js';

export type { PathBase };

/**
 * The manifest of one run: every file it opened (InputLog, in the order first opened), with
 * its role, size and — when `digests` — its sha256. `roles` names the files the run knows by
 * what they are; any other file it opened under the new kernel is a "kernel file".
 */
export function inputManifest(
  opened: readonly { readonly path: string; readonly size: number }[],
  roles: ReadonlyMap<string, string>,
  options: { readonly digests: boolean; readonly base: PathBase; readonly buildIds: ReadonlyMap<string, string | null>; readonly otherRole?: string },
): InputRecord[] {
  return opened.map(({ path, size: openedSize }) => {
    const { sha256, size } = options.digests ? hashInput(path) : { sha256: null, size: openedSize };
    const buildId = options.buildIds.get(path);
    return {
      path: manifestPath(path, options.base),
      role: roles.get(path) ?? options.otherRole ?? 'kernel file',
      size,
      sha256,
      ...(buildId !== undefined ? { buildId } : {}),
    };
  });
}
