import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, jsonSyntaxError } from '../errors.js';
import { readInputBytes } from '../input-file.js';
import { LIMITS } from '../limits.js';
import { ARCHITECTURES, type Architecture } from '../facts/architecture.js';
import { SEVERITIES, type Severity } from '../findings/severity.js';
import { anything, list, object, oneOf, str, validate, type Infer, type Schema, record } from '../schema.js';

/**
 * The signatures/ catalogue: one JSON file per known build-primitive change. The engine
 * (src/checks/primitives) holds one detector per *kind* of evidence; an entry names its
 * detector and gives it the facts of one primitive (config options, symbols, sections, flags,
 * versions). Adding a primitive that an existing detector can see is adding a file.
 */

/** Where a primitive is visible, for the `lookFor` list (documentation; the detector's parameters are what it reads). */
export const LOOK_IN = [
  'config',
  'symbol-defined',
  'symbol-referenced',
  'section',
  'entry-size',
  'relocation',
  'producer',
  'comment',
  'cmd',
  'instruction',
  'note',
  'btf',
  'header',
  'linker-script',
  'modinfo',
] as const;


const VERSION = /^v\d+\.\d+(\.\d+)?(-rc\d+)?$|^v\d+\.\d+\.y$|^v\d+\.\d+\+$/;
const COMMIT = /^[0-9a-f]{12,40}$/;
/** The build-primitive rows an entry may cover, as docs/signatures.md lists them ("Rows"): x86-1 … x86-25, arm64-A1 … arm64-A6. */
export const PRIMITIVE_ROW = /^(x86-([1-9]|1\d|2[0-5])|arm64-A[1-6])$/;

export const ENTRY_SCHEMA = object(
  {
    id: str(/^[a-z0-9]+(-[a-z0-9]+)*$/),
    title: str(),
    primitives: list(str(PRIMITIVE_ROW)),
    architectures: list(oneOf(ARCHITECTURES), 1),
    changes: list(object({ version: str(VERSION), commit: str(COMMIT), summary: str() }, ['commit']), 1),
    lookFor: list(object({ in: oneOf(LOOK_IN), value: str() }), 1),
    severity: oneOf(SEVERITIES),
    detector: str(/^[a-z]+(-[a-z]+)*$/),
    parameters: anything,
    why: str(),
    action: str(),
    observed: str(),
    /**
     * For an entry that runs on x86-64, why it does not run on another architecture (by the
     * catalogue's architecture names): its counterpart entry there, or why none is needed or
     * what is not checked yet. Reports of such objects list it as a coverage line.
     */
    notOn: record(str()),
  },
  ['observed', 'notOn'],
);

type EntryFields = Infer<typeof ENTRY_SCHEMA>;

export interface CatalogueEntry<P = unknown> extends Omit<EntryFields, 'parameters' | 'severity' | 'architectures'> {
  readonly severity: Severity;
  readonly architectures: readonly Architecture[];
  readonly parameters: P;
  /** The file it was read from, relative to the catalogue directory. */
  readonly file: string;
  /** Where to point a reader: signatures/<file> for the bundled catalogue, else the full path. */
  readonly source: string;
}

/** What the loader needs of a detector: its name and the schema of its parameters. */
export interface DetectorSchema {
  readonly name: string;
  readonly parameters: Schema;
}

export interface Catalogue {
  readonly directory: string;
  /** From catalogue.json; goes into every report. */
  readonly version: string;
  /** sha256 over every entry file (name and bytes, in name order): tells an edited catalogue from the released one. */
  readonly digest: string;
  readonly entries: readonly CatalogueEntry[];
}

const INDEX_SCHEMA = object({ version: str(/^\d+\.\d+\.\d+$/), description: str() });

/** signatures/ next to the package root (works from src/ and from dist/src/). */
export function bundledCatalogueDirectory(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'signatures', 'catalogue.json'))) return join(dir, 'signatures');
    const parent = dirname(dir);
    if (parent === dir) throw new InputError('signatures/', 'the bundled catalogue is missing from this installation');
    dir = parent;
  }
}

/** A catalogue file's bytes (for the digest) and its parsed JSON. */
function readJson(path: string): { bytes: Buffer; value: unknown } {
  const bytes = readInputBytes(path, 'catalogue file', LIMITS.JSON_FILE_SIZE);
  const text = bytes.toString('utf8');
  try {
    return { bytes, value: JSON.parse(text) as unknown };
  } catch (err) {
    throw new InputError(path, `not valid JSON (${jsonSyntaxError(err, text)})`);
  }
}

/**
 * Reads and validates a catalogue directory: catalogue.json (version) and one <id>.json per
 * entry. Any violation is an InputError naming the file and every problem found in it: a
 * catalogue that does not validate must not quietly check less.
 */
export function loadCatalogue(directory: string, detectors: readonly DetectorSchema[]): Catalogue {
  const indexPath = join(directory, 'catalogue.json');
  if (!existsSync(directory)) throw new InputError(directory, 'no such catalogue directory');
  const index = readJson(indexPath).value;
  const indexErrors = validate(index, INDEX_SCHEMA);
  if (indexErrors.length) throw new InputError(indexPath, indexErrors.join('; '));
  const { version } = index as Infer<typeof INDEX_SCHEMA>;

  const byName = new Map(detectors.map((d) => [d.name, d]));
  let bundled: string | undefined;
  try {
    bundled = bundledCatalogueDirectory();
  } catch {
    bundled = undefined;
  }
  const isBundled = bundled !== undefined && resolve(bundled) === resolve(directory);
  const hash = createHash('sha256');
  const entries: CatalogueEntry[] = [];
  const files = readdirSync(directory)
    .filter((f) => f.endsWith('.json') && f !== 'catalogue.json')
    .sort();
  for (const file of files) {
    const path = join(directory, file);
    const { bytes, value: raw } = readJson(path);
    hash.update(file).update('\0').update(bytes).update('\0');
    const errors = validate(raw, ENTRY_SCHEMA);
    const entry = raw as EntryFields;
    if (errors.length === 0) {
      if (`${entry.id}.json` !== file) errors.push(`id: ${JSON.stringify(entry.id)} must match the file name`);
      const detector = byName.get(entry.detector);
      if (!detector) errors.push(`detector: no detector named ${JSON.stringify(entry.detector)} (known: ${[...byName.keys()].sort().join(', ')})`);
      else errors.push(...validate(entry.parameters, detector.parameters, 'parameters'));
    }
    if (errors.length) throw new InputError(path, errors.join('; '));
    entries.push({ ...entry, severity: entry.severity as Severity, architectures: entry.architectures as Architecture[], file, source: isBundled ? `signatures/${file}` : path });
  }
  if (entries.length === 0) throw new InputError(directory, 'the catalogue has no entries');
  return { directory, version, digest: hash.digest('hex'), entries };
}
