import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PRIMITIVE_ROW, bundledCatalogueDirectory, loadCatalogue } from '../../src/catalogue/catalogue.js';
import { DETECTORS } from '../../src/checks/primitives/index.js';
import { InputError } from '../../src/errors.js';
import { ROOT } from '../support/paths.js';

const SIGNATURES_DOC = readFileSync(join(ROOT, 'docs', 'signatures.md'), 'utf8');
/** The first column of the table under a heading of docs/signatures.md. */
function docRows(heading: string): string[] {
  const section = SIGNATURES_DOC.split(/^## /m).find((s) => s.startsWith(`${heading}\n`)) ?? '';
  return [...section.matchAll(/^\| (x86-\d+|arm64-A\d+) \|/gm)].map((m) => m[1]!);
}
/** The build-primitive rows, as docs/signatures.md lists them: 25 x86 and 6 arm64 primitives. */
const ROWS = docRows('Rows');

const readCatalogue = (dir: string) => loadCatalogue(dir, DETECTORS);
const catalogue = readCatalogue(bundledCatalogueDirectory());
const temps: string[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

/** A copy of the bundled catalogue to break. */
function copy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'relinkable-catalogue-'));
  temps.push(dir);
  cpSync(bundledCatalogueDirectory(), dir, { recursive: true });
  return dir;
}

function edit(dir: string, file: string, change: (entry: Record<string, unknown>) => void): void {
  const entry = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>;
  change(entry);
  writeFileSync(join(dir, file), JSON.stringify(entry, null, 2));
}

function loadError(dir: string): string {
  try {
    readCatalogue(dir);
  } catch (err) {
    if (err instanceof InputError) return err.message;
    throw err;
  }
  throw new Error('the catalogue loaded');
}

describe('the bundled catalogue', () => {
  it('loads and validates: one file per entry, named after its id, each naming a known detector', () => {
    expect(catalogue.version).toBe('1.3.0');
    expect(catalogue.entries).toHaveLength(44);
    const files = readdirSync(join(ROOT, 'signatures')).filter((f) => f !== 'catalogue.json').sort();
    expect(catalogue.entries.map((e) => e.file)).toEqual(files);
    for (const e of catalogue.entries) {
      expect(e.file).toBe(`${e.id}.json`);
      expect(DETECTORS.map((d) => d.name)).toContain(e.detector);
    }
    expect(catalogue.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('validates row ids against exactly the rows docs/signatures.md lists', () => {
    expect(ROWS).toEqual([...Array.from({ length: 25 }, (_, i) => `x86-${i + 1}`), ...Array.from({ length: 6 }, (_, i) => `arm64-A${i + 1}`)]);
    for (const row of ROWS) expect(PRIMITIVE_ROW.test(row), row).toBe(true);
    for (const id of ['x86-0', 'x86-26', 'x86-100', 'arm64-A0', 'arm64-A7', 'arm64-1', 'x86-A1']) expect(PRIMITIVE_ROW.test(id), id).toBe(false);
  });

  it('says, for every entry that runs on x86-64 and not on arm64, why (reports of arm64 objects list it)', () => {
    const missing = readCatalogue(bundledCatalogueDirectory()).entries.filter((e) => e.architectures.includes('x86_64') && !e.architectures.includes('aarch64') && !e.notOn?.aarch64).map((e) => e.id);
    expect(missing).toEqual([]);
  });

  it('covers every row with an entry, or lists it as a known gap in docs/signatures.md', () => {
    const covered = new Set(catalogue.entries.flatMap((e) => e.primitives));
    const gaps = new Set(docRows('Known gaps'));
    for (const row of ROWS) expect(covered.has(row) || gaps.has(row), row).toBe(true);
    // A gap that an entry covers is stale documentation.
    for (const gap of gaps) expect(covered.has(gap), `${gap} is listed as a gap but covered`).toBe(false);
    expect([...gaps].sort()).toEqual(['x86-19']);
  });

  it('is listed in docs/signatures.md, entry by entry', () => {
    for (const e of catalogue.entries) expect(SIGNATURES_DOC, e.id).toContain(e.id);
  });

  it('changes its digest when an entry changes', () => {
    const dir = copy();
    edit(dir, 'x86-ibt-landing-pads.json', (e) => (e.observed = 'edited'));
    expect(readCatalogue(dir).digest).not.toBe(catalogue.digest);
    expect(readCatalogue(copy()).digest).toBe(catalogue.digest);
  });
});

describe('a catalogue that does not validate is refused, naming the file and the problem', () => {
  it.each([
    ['an unknown field', (e: Record<string, unknown>) => (e.colour = 'red'), /x86-ibt-landing-pads\.json: colour: unknown field/],
    ['a missing field', (e: Record<string, unknown>) => delete e.why, /why: missing/],
    ['an id that is not the file name', (e: Record<string, unknown>) => (e.id = 'x86-ibt'), /id: "x86-ibt" must match the file name/],
    ['an unknown detector', (e: Record<string, unknown>) => (e.detector = 'telepathy'), /detector: no detector named "telepathy"/],
    ['parameters its detector does not take', (e: Record<string, unknown>) => (e.parameters = { config: 'X86_KERNEL_IBT' }), /parameters\.config: expected an array, got string "X86_KERNEL_IBT"/],
    ['a severity that does not exist', (e: Record<string, unknown>) => (e.severity = 'fatal'), /severity: expected one of link, runtime, warning, review, info, got string "fatal"/],
    ['a row docs/signatures.md does not list', (e: Record<string, unknown>) => (e.primitives = ['x86-99']), /primitives\[0\]: "x86-99" does not match/],
    ['a version that is not one', (e: Record<string, unknown>) => (e.changes = [{ version: 'recent', summary: 's' }]), /changes\[0\]\.version: "recent" does not match/],
  ])('%s', (_, change, expected) => {
    const dir = copy();
    edit(dir, 'x86-ibt-landing-pads.json', change);
    expect(loadError(dir)).toMatch(expected);
  });

  it('not JSON at all', () => {
    const dir = copy();
    writeFileSync(join(dir, 'x86-ibt-landing-pads.json'), '{ "id": ');
    expect(loadError(dir)).toMatch(/x86-ibt-landing-pads\.json: not valid JSON/);
  });

  it('no catalogue.json, or no entries', () => {
    const dir = copy();
    rmSync(join(dir, 'catalogue.json'));
    expect(loadError(dir)).toMatch(/catalogue\.json: no such file$/);
    const empty = mkdtempSync(join(tmpdir(), 'relinkable-catalogue-'));
    temps.push(empty);
    writeFileSync(join(empty, 'catalogue.json'), JSON.stringify({ version: '1.0.0', description: 'empty' }));
    expect(loadError(empty)).toMatch(/the catalogue has no entries/);
  });
});
