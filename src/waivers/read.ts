import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import { InputError } from '../errors.js';
import type { Waiver } from '../facts/waiver.js';
import { readInputText } from '../input-file.js';
import { LIMITS, overLimit } from '../limits.js';

/**
 * A waivers file (docs/evidence.md has its schema): YAML, or JSON (which is YAML), read with
 * the position of every node so that each problem is one line naming the file and the line.
 *
 *   version: 1
 *   waivers:
 *     - id: layout-changed                # a finding id
 *       symbol: struct ratelimit_state    # globs, each optional: object, symbol, type, section
 *       justification: …                  # why the finding is accepted
 *       approver: …                       # who accepted it
 *       expires: 2027-06-30               # through that day, UTC
 *
 * The shape is checked here; whether `id` is a finding that can be waived is the run's
 * question (src/run/waivers.ts), which has the finding ids.
 */
export interface WaiversFile {
  readonly path: string;
  readonly text: string;
  readonly waivers: readonly Waiver[];
}

const GLOBS = ['object', 'symbol', 'type', 'section'] as const;
const REQUIRED = ['id', 'justification', 'approver', 'expires'] as const;
const KEYS = new Set<string>([...REQUIRED, ...GLOBS]);

export function readWaivers(path: string): WaiversFile {
  const text = readInputText(path, 'waivers file', 'utf8', LIMITS.JSON_FILE_SIZE);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, version: '1.2' });
  const lineOf = (offset: number | undefined): number => (offset === undefined ? 1 : lines.linePos(offset).line);
  const fail = (offset: number | undefined, problem: string): never => {
    throw new InputError(path, `line ${lineOf(offset)}: ${problem}`);
  };
  const at = (node: Node | null | undefined): number | undefined => node?.range?.[0];
  const problem = doc.errors[0];
  // The parser recurses per nesting level: what overflows the stack is reported as its own words.
  if (problem) fail(problem.pos[0], `not YAML or JSON: ${/call stack/i.test(problem.message) ? 'nested too deeply' : problem.message.split('\n')[0]}`);

  const root = doc.contents;
  if (!isMap(root)) return fail(at(root as Node | null), 'a waivers file is a mapping with `version: 1` and a `waivers` list');
  const top = entriesOf(root, fail);
  for (const [key, pair] of top) if (key !== 'version' && key !== 'waivers') fail(at(pair.key as Node), `unknown key \`${key}\` (a waivers file has \`version\` and \`waivers\`)`);
  const version = top.get('version');
  if (!version || !isScalar(version.value) || version.value.value !== 1) fail(at((version?.value ?? root) as Node), '`version: 1` is required (the schema of docs/evidence.md)');
  const list = top.get('waivers')?.value;
  if (!isSeq(list)) return fail(at((list ?? root) as Node), '`waivers` must be a list of waivers');

  const waivers = list.items.map((item): Waiver => {
    const node = item as Node;
    if (!isMap(node)) return fail(at(node), 'a waiver is a mapping (id, justification, approver, expires, and globs)');
    const fields = entriesOf(node, fail);
    for (const [key, pair] of fields) if (!KEYS.has(key)) fail(at(pair.key as Node), `unknown key \`${key}\` (a waiver has ${[...REQUIRED, ...GLOBS].join(', ')})`);
    const str = (key: string, required: boolean): string | null => {
      const pair = fields.get(key);
      if (!pair) return required ? fail(at(node), `the waiver has no \`${key}\``) : null;
      const value = pair.value as Node | null;
      if (!isScalar(value) || typeof value.value !== 'string' || value.value.trim() === '') return fail(at(value ?? (pair.key as Node)), `\`${key}\` must be a non-empty string`);
      if (GLOBS.includes(key as (typeof GLOBS)[number]) && value.value.length > LIMITS.GLOB_PATTERN_LENGTH.value) {
        fail(at(value), overLimit(LIMITS.GLOB_PATTERN_LENGTH, `\`${key}\` pattern too long`, value.value.length));
      }
      return value.value;
    };
    const expires = str('expires', true)!;
    if (!validDate(expires)) fail(at(fields.get('expires')!.value as Node), `\`expires\` must be a date, YYYY-MM-DD (got ${JSON.stringify(expires)})`);
    return {
      line: lineOf(at(node)),
      id: str('id', true)!,
      object: str('object', false),
      symbol: str('symbol', false),
      type: str('type', false),
      section: str('section', false),
      justification: str('justification', true)!,
      approver: str('approver', true)!,
      expires,
    };
  });
  return { path, text, waivers };
}

function entriesOf(map: YAMLMap, fail: (offset: number | undefined, problem: string) => never): Map<string, Pair> {
  const out = new Map<string, Pair>();
  for (const pair of map.items) {
    const key = pair.key as Node | null;
    if (!isScalar(key) || typeof key.value !== 'string') fail(key?.range?.[0], 'keys must be strings');
    out.set((key as { value: string }).value, pair);
  }
  return out;
}

/** A real calendar date written YYYY-MM-DD. */
function validDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
}
