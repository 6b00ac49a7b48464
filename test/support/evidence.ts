import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import Ajv04Module from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { XMLParser } from 'fast-xml-parser';
import { ROOT } from './paths.js';
import { runCli } from './run.js';

// CommonJS packages: their class and function are the default export's `default`.
const Ajv04 = Ajv04Module.default;
const addFormats = ajvFormats.default;

const SCHEMAS = join(ROOT, 'test', 'data', 'schemas');

function load(name: string): object {
  return JSON.parse(readFileSync(join(SCHEMAS, name), 'utf8')) as object;
}

/** The official SARIF 2.1.0 schema (draft-04), vendored: the errors of a document, [] when valid. */
export const sarifErrors = (() => {
  const ajv = new Ajv04({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(load('sarif-schema-2.1.0.json'));
  return (doc: unknown): string[] => (validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
})();

/** in-toto Statement v1 with a SLSA VSA v1 predicate (written from the specs: test/data/schemas/README.md). */
export const statementErrors = (() => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(load('in-toto-statement-v1-vsa-v1.json'));
  return (doc: unknown): string[] => (validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
})();

export interface JunitCase {
  readonly classname: string;
  readonly name: string;
  readonly failure: { readonly type: string; readonly message: string; readonly text: string } | null;
  readonly out: string | null;
}

/** A JUnit report read back with an XML parser: each suite's counts and cases. */
export function parseJunit(xml: string): { tests: number; failures: number; suites: { name: string; tests: number; failures: number; cases: JunitCase[] }[] } {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => name === 'testsuite' || name === 'testcase' || name === 'property', parseAttributeValue: false, trimValues: false });
  const doc = parser.parse(xml, true) as { testsuites: Record<string, unknown> & { testsuite: Record<string, unknown>[] } };
  const root = doc.testsuites;
  return {
    tests: Number(root.tests),
    failures: Number(root.failures),
    suites: root.testsuite.map((s) => ({
      name: String(s.name),
      tests: Number(s.tests),
      failures: Number(s.failures),
      cases: ((s.testcase as Record<string, unknown>[]) ?? []).map((c) => {
        const failure = c.failure as Record<string, string> | undefined;
        return {
          classname: String(c.classname),
          name: String(c.name),
          failure: failure ? { type: failure.type!, message: failure.message!, text: failure['#text'] ?? '' } : null,
          out: typeof c['system-out'] === 'string' ? (c['system-out'] as string) : null,
        };
      }),
    })),
  };
}

/** `check … --evidence DIR` (or `verify …`) with SOURCE_DATE_EPOCH set: every file it wrote, by name. */
export async function evidenceBundle(args: string[], epoch = '1764756000', command: 'check' | 'verify' = 'check'): Promise<{ status: number; stderr: string; files: Record<string, string> }> {
  const dir = mkdtempSync(join(tmpdir(), 'relinkable-evidence-'));
  const before = process.env.SOURCE_DATE_EPOCH;
  process.env.SOURCE_DATE_EPOCH = epoch;
  try {
    const r = await runCli([command, ...args, '--evidence', dir]);
    const files = Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
    return { status: r.status, stderr: r.stderr.replaceAll(dir, 'DIR'), files };
  } finally {
    if (before === undefined) delete process.env.SOURCE_DATE_EPOCH;
    else process.env.SOURCE_DATE_EPOCH = before;
  }
}


/**
 * What GitHub code scanning needs of a SARIF file beyond the schema, as the SARIF SDK's GH
 * validation rules state it (microsoft/sarif-sdk, src/Sarif.Multitool.Library/Rules/GH100*):
 * one run at most 5, at most 1,000 rules and 1,000 results per run (GH1004), each result with
 * a location (GH1001) — at most 10 — whose artifact URI is a relative reference or a file: URI
 * (GH1005) and whose region has a startLine (GH1003), and a plain-text message (GH1007).
 */
export function githubSarifProblems(sarif: { runs: { tool: { driver: { rules?: unknown[] } }; results?: Record<string, unknown>[] }[] }): string[] {
  const problems: string[] = [];
  if (sarif.runs.length > 5) problems.push(`${sarif.runs.length} runs`);
  sarif.runs.forEach((run, r) => {
    if ((run.tool.driver.rules?.length ?? 0) > 1000) problems.push(`run ${r}: more than 1,000 rules`);
    const results = run.results ?? [];
    if (results.length > 1000) problems.push(`run ${r}: more than 1,000 results`);
    results.forEach((res, i) => {
      const at = `run ${r} result ${i}`;
      const locations = (res.locations as { physicalLocation?: { artifactLocation?: { uri?: string }; region?: { startLine?: number } } }[] | undefined) ?? [];
      if (locations.length === 0 || locations.length > 10) problems.push(`${at}: ${locations.length} locations`);
      for (const l of locations) {
        const uri = l.physicalLocation?.artifactLocation?.uri;
        if (uri === undefined) problems.push(`${at}: no artifact uri`);
        else if (/^[a-z][a-z0-9+.-]*:/i.test(uri) && !uri.startsWith('file:')) problems.push(`${at}: ${uri} is not a file path`);
        if (!((l.physicalLocation?.region?.startLine ?? 0) >= 1)) problems.push(`${at}: no region.startLine`);
      }
      const message = res.message as { text?: string } | undefined;
      if (!message?.text) problems.push(`${at}: no message text`);
    });
  });
  return problems;
}
