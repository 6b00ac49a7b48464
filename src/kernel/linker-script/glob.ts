/**
 * ld's wildcard matching of section and file names (fnmatch without flags), patterns
 * converted to regular expressions once and cached.
 */

export function isWildcard(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/** fnmatch(pattern, name, 0), as ld matches section and file names: `*` and `?` cross `/` and `.`. */
export function globMatch(pattern: string, name: string): boolean {
  return globTester(pattern)(name);
}

const testers = new Map<string, (name: string) => boolean>();

export function globTester(pattern: string): (name: string) => boolean {
  let test = testers.get(pattern);
  if (test === undefined) {
    if (!isWildcard(pattern) && !pattern.includes('\\')) test = (name) => name === pattern;
    else {
      const re = globToRegExp(pattern);
      test = (name) => re.test(name);
    }
    testers.set(pattern, test);
  }
  return test;
}

function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[\\s\\S]*';
    else if (c === '?') re += '[\\s\\S]';
    else if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]!);
    else if (c === '[') {
      const cls = bracket(pattern, i);
      if (cls === undefined) re += '\\[';
      else {
        re += cls.re;
        i = cls.end;
      }
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`);
}

/** A `[...]` class starting at `start`: `!` or `^` negates, a leading `]` is literal. Unclosed: undefined. */
function bracket(pattern: string, start: number): { re: string; end: number } | undefined {
  let i = start + 1;
  let negate = false;
  if (pattern[i] === '!' || pattern[i] === '^') {
    negate = true;
    i++;
  }
  let body = '';
  let first = true;
  for (; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === ']' && !first) return { re: `[${negate ? '^' : ''}${body}]`, end: i };
    first = false;
    if (c === '\\' && i + 1 < pattern.length) body += escapeClass(pattern[++i]!);
    else if (c === '-' && body !== '' && pattern[i + 1] !== ']' && i + 1 < pattern.length) body += '-';
    else body += escapeClass(c);
  }
  return undefined;
}

function escapeRe(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

function escapeClass(c: string): string {
  return /[\\\]^[-]/.test(c) ? `\\${c}` : c;
}
