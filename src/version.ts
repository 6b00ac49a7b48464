import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package version, from the nearest package.json above this module (works from src/ and dist/src/). */
export function toolVersion(): string {
  const root = packageRoot();
  if (root === undefined) return '0.0.0';
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

/** Set by scripts/bundle.mjs in the bundle (the `relinkable` bin): the commit it was built from. */
declare const RELINKABLE_BUILD_COMMIT: string | null | undefined;

/**
 * The git commit relinkable runs from: the bundle's is stamped when it is built; unbundled
 * (dist/src, the tests) it is asked of the checkout (a `.git` beside its package.json). Null
 * from an installed package, or without git. Dirty work trees are marked `+dirty`: a report
 * made by uncommitted code names no commit that could reproduce it.
 */
export function toolCommit(): string | null {
  if (typeof RELINKABLE_BUILD_COMMIT !== 'undefined') return RELINKABLE_BUILD_COMMIT;
  const root = packageRoot();
  if (root === undefined || !existsSync(join(root, '.git'))) return null;
  try {
    const commit = execFileSync('git', ['-C', root, 'rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    return dirty ? `${commit}+dirty` : commit;
  } catch {
    return null;
  }
}

/** The directory of relinkable's own package.json (works from src/, dist/src/ and the bundle in dist/). */
export function packageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string };
      if (pkg.name === 'relinkable') return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
