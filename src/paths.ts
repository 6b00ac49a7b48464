import { isAbsolute, posix, relative, sep } from 'node:path';

/**
 * A compile-unit or object path reduced to its tree-relative components: "./", "../" and
 * any prefix up to the kernel tree are not comparable across builds (Debian builds in the
 * tree, `make O=` builds name sources "../src/crypto/x.c" or by absolute path).
 */
export function pathComponents(path: string): string[] {
  return posix
    .normalize(path.replace(/\\/g, '/'))
    .split('/')
    .filter((c) => c !== '' && c !== '.' && c !== '..');
}

/** Number of trailing components two paths share. */
export function sharedSuffix(a: readonly string[], b: readonly string[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) n++;
  return n;
}

export function withExtension(path: string, ext: string): string {
  return path.replace(/\.[^./]*$/, ext);
}

/**
 * The candidate whose path shares the longest tail with `wanted`, if that tail covers the
 * file name and a directory (or the whole of either path) and no other candidate ties.
 */
export function bestPathMatch(wanted: string, candidates: Iterable<string>): { match: string | undefined; ties: string[] } {
  const w = pathComponents(wanted);
  let best = 0;
  let winners: string[] = [];
  for (const cand of candidates) {
    const c = pathComponents(cand);
    const n = sharedSuffix(w, c);
    const enough = n >= 2 || (n >= 1 && (n === w.length || n === c.length));
    if (!enough) continue;
    if (n > best) {
      best = n;
      winners = [cand];
    } else if (n === best) {
      winners.push(cand);
    }
  }
  return winners.length === 1 ? { match: winners[0], ties: [] } : { match: undefined, ties: winners };
}

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
 * Every absolute path under the working or the home directory inside `text` written as
 * manifestPath writes it: for documents whose text (messages, evidence) quotes paths.
 */
export function localizePaths(text: string, base: PathBase): string {
  let out = text;
  if (base.cwd !== sep) out = out.replace(pathPrefix(base.cwd), '');
  if (base.home && base.home !== sep) out = out.replace(pathPrefix(base.home), `~${sep}`);
  return out;
}

/** `dir/` where a path starts: at the start of the text or after a space, quote, bracket, `=`, `:` or `,` (not inside another path). */
function pathPrefix(dir: string): RegExp {
  return new RegExp(`(?<=^|[\\s"'(\\[=:,])${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${sep}`, 'g');
}
