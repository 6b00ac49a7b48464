/**
 * ld's wildcard matching of section and file names (fnmatch without flags). A pattern is
 * compiled once (cached) into tokens and matched by the classic two-pointer walk that
 * backtracks only to the last `*`: time is bounded by pattern × name whatever the pattern,
 * and no RegExp is built from input (a long hostile pattern used to give "Invalid regular
 * expression", a crafted one catastrophic backtracking).
 */

import { InputError } from '../../errors.js';
import { LIMITS, overLimit } from '../../limits.js';

export function isWildcard(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/** fnmatch(pattern, name, 0), as ld matches section and file names: `*` and `?` cross `/` and `.`. */
export function globMatch(pattern: string, name: string): boolean {
  return globTester(pattern)(name);
}

type Token =
  | { readonly kind: 'char'; readonly c: string }
  | { readonly kind: 'any' }
  | { readonly kind: 'star' }
  | { readonly kind: 'class'; readonly negate: boolean; readonly items: readonly (string | readonly [string, string])[] };

/**
 * Compiled patterns, by pattern. Bounded: the patterns come from input (linker scripts,
 * waivers), and a process that reads many (a scan, a fuzz campaign: 280 → 919 MB over 3.1
 * million linker scripts) must not keep each one. A script has a few hundred patterns; past
 * the bound the cache starts again.
 */
const testers = new Map<string, (name: string) => boolean>();
const TESTERS_KEPT = 4096;

/** How many compiled patterns are kept (for the test that holds the bound). */
export function compiledPatternCount(): number {
  return testers.size;
}

/**
 * A matcher for one pattern. Patterns longer than LIMITS.GLOB_PATTERN_LENGTH are refused
 * (an Error whose message names the limit; the linker-script parser refuses them first,
 * as an InputError with the line).
 */
export function globTester(pattern: string): (name: string) => boolean {
  let test = testers.get(pattern);
  if (test === undefined) {
    if (!isWildcard(pattern) && !pattern.includes('\\')) test = (name) => name === pattern;
    else {
      if (pattern.length > LIMITS.GLOB_PATTERN_LENGTH.value) throw new Error(overLimit(LIMITS.GLOB_PATTERN_LENGTH, 'wildcard pattern too long', pattern.length));
      const tokens = compile(pattern);
      test = (name) => matchTokens(tokens, name);
    }
    if (testers.size >= TESTERS_KEPT) testers.clear();
    testers.set(pattern, test);
  }
  return test;
}

/** The pattern's length against the limit, as an InputError naming the script and line. */
export function checkPatternLength(pattern: string, file: string, line: number): void {
  if (pattern.length > LIMITS.GLOB_PATTERN_LENGTH.value) {
    throw new InputError(file, `line ${line}: ${overLimit(LIMITS.GLOB_PATTERN_LENGTH, 'name pattern too long', pattern.length)}`);
  }
}

function compile(pattern: string): Token[] {
  // An unclosed `[` is literal; each is scanned to the end of the pattern, so the pattern's
  // length limit is what keeps many of them from costing seconds (30,000 took 17 s).
  const tokens: Token[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (c === '?') tokens.push({ kind: 'any' });
    else if (c === '\\' && i + 1 < pattern.length) tokens.push({ kind: 'char', c: pattern[++i]! });
    else if (c === '[') {
      const cls = bracket(pattern, i);
      if (cls === undefined) tokens.push({ kind: 'char', c });
      else {
        tokens.push(cls.token);
        i = cls.end;
      }
    } else tokens.push({ kind: 'char', c });
  }
  return tokens;
}

/** A `[...]` class starting at `start`: `!` or `^` negates, a leading `]` is literal, `a-z` a range. Unclosed: undefined. */
function bracket(pattern: string, start: number): { token: Token; end: number } | undefined {
  let i = start + 1;
  let negate = false;
  if (pattern[i] === '!' || pattern[i] === '^') {
    negate = true;
    i++;
  }
  const items: (string | readonly [string, string])[] = [];
  let first = true;
  for (; i < pattern.length; i++) {
    let c = pattern[i]!;
    if (c === ']' && !first) return { token: { kind: 'class', negate, items }, end: i };
    first = false;
    if (c === '\\' && i + 1 < pattern.length) c = pattern[++i]!;
    // A range: `a-z`, unless the `-` is last (before `]`) or the pattern ends.
    if (pattern[i + 1] === '-' && i + 2 < pattern.length && pattern[i + 2] !== ']') {
      let hi = pattern[i + 2]!;
      i += 2;
      if (hi === '\\' && i + 1 < pattern.length) hi = pattern[++i]!;
      items.push([c, hi]);
    } else items.push(c);
  }
  return undefined;
}

function matchOne(t: Token, c: string): boolean {
  switch (t.kind) {
    case 'char':
      return t.c === c;
    case 'any':
      return true;
    case 'class': {
      const inside = t.items.some((item) => (typeof item === 'string' ? item === c : item[0] <= c && c <= item[1]));
      return inside !== t.negate;
    }
    case 'star':
      return false;
  }
}

/** Two pointers; on a mismatch, retry from the last `*` with one more character swallowed. O(tokens × name). */
function matchTokens(tokens: readonly Token[], name: string): boolean {
  let t = 0;
  let n = 0;
  let starT = -1;
  let starN = 0;
  while (n < name.length) {
    const token = tokens[t];
    if (token?.kind === 'star') {
      starT = t++;
      starN = n;
    } else if (token !== undefined && matchOne(token, name[n]!)) {
      t++;
      n++;
    } else if (starT >= 0) {
      t = starT + 1;
      n = ++starN;
    } else return false;
  }
  while (tokens[t]?.kind === 'star') t++;
  return t === tokens.length;
}
