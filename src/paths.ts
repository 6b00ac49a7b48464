import { posix } from 'node:path';

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
