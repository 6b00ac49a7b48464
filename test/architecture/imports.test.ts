import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The floor plan of src/, read from the imports themselves (docs/architecture.md draws it):
 * bytes → readers → model → checks → findings → report, with the shared vocabulary on the
 * ground floor. Every rule is a list of violations that must stay empty.
 */

const SRC = resolve(__dirname, '../../src');

/** Folders that read input bytes. */
const READERS = ['elf', 'dwarf', 'btf', 'kernel', 'arch', 'object', 'snapshot', 'waivers', 'verify'];
/** The ground floor: vocabulary every layer shares, and small utilities. */
const GROUND = ['graph', 'facts', 'errors.ts', 'schema.ts', 'paths.ts', 'version.ts', 'input-file.ts', 'limits.ts', 'decompress-tool.ts'];

interface Import {
  readonly from: string;
  readonly to: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** Every relative import and re-export of src/, type-only ones included, as paths relative to src/. */
function projectImports(): Import[] {
  const out: Import[] = [];
  const re = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(re)) {
      const spec = (m[1] ?? m[2])!;
      out.push({ from: relative(SRC, file), to: relative(SRC, resolve(dirname(file), spec)).replace(/\.js$/, '.ts') });
    }
  }
  return out;
}

/** The top-level room of a path under src/: a folder name, or a file at the top. */
function room(path: string): string {
  return path.split('/')[0]!;
}

const imports = projectImports();

function violations(rule: (i: Import) => boolean): string[] {
  return imports.filter(rule).map((i) => `${i.from} -> ${i.to}`).sort();
}

describe('the floor plan of src/', () => {
  it('reads a real number of imports', () => {
    expect(imports.length).toBeGreaterThan(300);
  });

  it('the type graph imports nothing of the project', () => {
    expect(violations((i) => room(i.from) === 'graph' && room(i.to) !== 'graph')).toEqual([]);
  });

  it('the shared facts import only the type graph', () => {
    expect(violations((i) => room(i.from) === 'facts' && !['graph', 'facts'].includes(room(i.to)))).toEqual([]);
  });

  it('the small utilities import nothing but each other', () => {
    const utilities = GROUND.filter((g) => g.endsWith('.ts'));
    expect(violations((i) => utilities.includes(room(i.from)) && !utilities.includes(room(i.to)))).toEqual([]);
  });

  it('no reader folder is imported by the model, the checks, the findings or the report', () => {
    expect(violations((i) => ['model', 'checks', 'findings', 'report'].includes(room(i.from)) && READERS.includes(room(i.to)))).toEqual([]);
  });

  it('readers know nothing of the model, checks, findings, reports or the run', () => {
    expect(violations((i) => READERS.includes(room(i.from)) && ['model', 'checks', 'findings', 'report', 'run', 'scan', 'cli'].includes(room(i.to)))).toEqual([]);
  });

  it('scan/ (many runs over many kernels) sits above the run: only the CLI imports it', () => {
    expect(violations((i) => room(i.to) === 'scan' && !['scan', 'cli'].includes(room(i.from)))).toEqual([]);
  });

  it('the model knows nothing of checks, findings or reports', () => {
    expect(violations((i) => room(i.from) === 'model' && ['checks', 'findings', 'report', 'run', 'cli', 'catalogue'].includes(room(i.to)))).toEqual([]);
  });

  it('findings import only the ground floor', () => {
    expect(violations((i) => room(i.from) === 'findings' && !['findings', ...GROUND].includes(room(i.to)))).toEqual([]);
  });

  it('checks know nothing of reports or the run', () => {
    expect(violations((i) => room(i.from) === 'checks' && ['report', 'run', 'cli'].includes(room(i.to)))).toEqual([]);
  });

  it('the report imports only the run record and the findings', () => {
    expect(violations((i) => room(i.from) === 'report' && room(i.to) !== 'report' && room(i.to) !== 'findings' && i.to !== 'run/record.ts')).toEqual([]);
  });

  it('the rooms of src/ form no import loop', () => {
    const edges = new Map<string, Set<string>>();
    for (const i of imports) {
      const [a, b] = [room(i.from), room(i.to)];
      if (a === b) continue;
      if (!edges.has(a)) edges.set(a, new Set());
      edges.get(a)!.add(b);
    }
    const loops: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (node: string, path: string[]): void => {
      if (state.get(node) === 'done') return;
      if (state.get(node) === 'open') {
        loops.push([...path.slice(path.indexOf(node)), node].join(' -> '));
        return;
      }
      state.set(node, 'open');
      for (const next of [...(edges.get(node) ?? [])].sort()) visit(next, [...path, node]);
      state.set(node, 'done');
    };
    for (const node of [...edges.keys()].sort()) visit(node, []);
    expect(loops).toEqual([]);
  });

  it('one module opens the files relinkable reads: input-file.ts (type and size checked before a byte is read)', () => {
    // Functions of node:fs that open or read a file by path. Listing a directory or stat-ing a
    // path is not reading it. The exceptions: the CLI writes --output (cli/output.ts), and
    // version.ts reads relinkable's own package.json, which is not input.
    const OPENERS = /\b(readFileSync|openSync|createReadStream|readFile|open|readSync|read)\b/;
    const ALLOWED = new Set(['input-file.ts', 'cli/output.ts', 'version.ts']);
    const offenders: string[] = [];
    const re = /import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*['"](?:node:)?fs(?:\/promises)?['"]/g;
    for (const file of sourceFiles(SRC)) {
      const rel = relative(SRC, file);
      if (ALLOWED.has(rel)) continue;
      for (const m of readFileSync(file, 'utf8').matchAll(re)) {
        const names = m[1]!.split(',').map((n) => n.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]!).filter(Boolean);
        for (const n of names) if (OPENERS.test(n)) offenders.push(`${rel}: ${n}`);
      }
      if (/from\s*['"](?:node:)?fs(?:\/promises)?['"]/.test(readFileSync(file, 'utf8')) && /import\s+\*\s+as\s+\w+\s+from\s*['"](?:node:)?fs/.test(readFileSync(file, 'utf8'))) {
        offenders.push(`${rel}: import * from fs`);
      }
    }
    expect(offenders).toEqual([]);
  });
});

describe('the fuzz targets (fuzz/)', () => {
  it('src/ imports nothing from outside src/: the fuzz targets, tests and benchmarks drive it, never the other way', () => {
    expect(violations((i) => i.to.startsWith('..'))).toEqual([]);
  });
});
