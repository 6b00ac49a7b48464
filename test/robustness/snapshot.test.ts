import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { readFrozenObject } from '../../src/object/read.js';
import { readSnapshot } from '../../src/snapshot/read.js';
import { buildSnapshot, renderSnapshot } from '../../src/snapshot/write.js';
import { FROZEN_DRIVER, FROZEN_MODULE, NEW_KERNEL } from '../support/paths.js';
import { runCli } from '../support/run.js';
import { debianSignedModule } from '../support/corpus.js';

/**
 * Issue 13, defects 5 (a snapshot was validated at the top level only, and crashed deep in
 * the checks) and 6 (a JSON syntax error gave a message of many lines).
 */

let dir: string;
const at = (name: string) => join(dir, name);
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'relinkable-snapshot-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const snapshotOf = (object: string): { [key: string]: Json } => JSON.parse(renderSnapshot(buildSnapshot(readFrozenObject(object))));

async function check(name: string, doc: unknown): Promise<{ status: number; stdout: string; stderr: string; path: string }> {
  const path = at(name);
  writeFileSync(path, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return { ...(await runCli(['check', path, '--kernel', NEW_KERNEL])), path };
}

describe('the whole snapshot is validated before use (defect 5)', () => {
  it.each([
    ['a site without its offset', (s: any) => delete s.imports[3].sites[0].offset, 'imports[3].sites[0].offset: missing'],
    ['a null site', (s: any) => (s.imports[3].sites[0] = null), 'imports[3].sites[0]: expected an object, got null'],
    ['a definition without its name', (s: any) => delete s.definitions[0].name, 'definitions[0].name: missing'],
    ['a size that is an object', (s: any) => (s.definitions[0].size = { bytes: 4 }), 'definitions[0].size: expected an integer, got an object'],
    ['an offset that is not hex', (s: any) => (s.imports[3].sites[0].offset = 'zz'), 'imports[3].sites[0].offset: "zz" does not match /^0x[0-9a-f]{1,16}$/'],
    ['an enum value that is not a number', (s: any) => {
      const [id] = Object.entries(s.interface.types as Record<string, any>).find(([, t]) => t.kind === 'enum' && t.values.length > 0)!;
      s.interface.types[id].values[0].value = '1e999';
    }, /^interface\.types\.\d+\.values\[0\]\.value: "1e999" does not match/],
    ['a type of an unknown kind', (s: any) => (s.interface.types['1'] = { kind: 'class', name: 'x' }), 'interface.types.1.kind: expected one of void, int, float, pointer, array, struct, union, enum, typedef, qualifier, function, unknown, got string "class"'],
    ['a declared function whose type is not in the table', (s: any) => (s.interface.declaredFunctions[0].type = 99999), /^interface\.declaredFunctions\[0\] \(\w+\): type id 99999 is not in the snapshot's types$/],
  ])('%s: exit 2 naming the field', async (name, mutate, problem) => {
    const doc = snapshotOf(FROZEN_DRIVER);
    mutate(doc);
    const r = await check(`${name.replace(/\W+/g, '_')}.json`, doc);
    expect(r.stdout).toBe('');
    const prefix = `relinkable: error: ${r.path}: not a valid ABI snapshot: `;
    expect(r.stderr.startsWith(prefix), r.stderr).toBe(true);
    const rest = r.stderr.slice(prefix.length).trimEnd();
    if (typeof problem === 'string') expect(rest).toBe(problem);
    else expect(rest).toMatch(problem);
    expect(r.status).toBe(2);
  });

  it('any field of any shape, set to the wrong type, is refused by the reader before a check sees it', () => {
    // One instance of every distinct field path (array positions folded), of a built-in object and a module.
    for (const object of [FROZEN_DRIVER, FROZEN_MODULE]) {
      const doc = snapshotOf(object);
      const seen = new Set<string>();
      const targets: { path: (string | number)[]; pattern: string; value: Json }[] = [];
      const walk = (v: Json, path: (string | number)[]) => {
        const pattern = path.map((p) => (typeof p === 'number' ? '[]' : p)).join('.');
        if (path.length > 0 && !seen.has(pattern)) {
          seen.add(pattern);
          targets.push({ path, pattern, value: v });
        }
        if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
        else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, path.at(-1) === 'types' ? '#' + k : k]);
      };
      walk(doc, []);
      expect(targets.length).toBeGreaterThan(100);
      for (const t of targets) {
        const mutated = JSON.parse(JSON.stringify(doc)) as any;
        let holder = mutated;
        const keys = t.path.map((k) => (typeof k === 'string' && k.startsWith('#') ? k.slice(1) : k));
        for (const k of keys.slice(0, -1)) holder = holder[k];
        // The wrong type for what is there: an object for a scalar or an array, a number for an object.
        holder[keys.at(-1)!] = t.value !== null && typeof t.value === 'object' && !Array.isArray(t.value) ? 42 : { wrong: true };
        const path = at('mutant.json');
        writeFileSync(path, JSON.stringify(mutated));
        let caught: unknown;
        try {
          readSnapshot(path);
        } catch (err) {
          caught = err;
        }
        expect(caught, `${t.pattern} set to the wrong type was accepted`).toBeInstanceOf(InputError);
        expect((caught as InputError).message).toMatch(new RegExp(`^${path}: not a valid ABI snapshot: [^\\n]+$`));
      }
    }
  });

  it("a signed module's snapshot, its signature recorded, validates and reads back", () => {
    const doc = snapshotOf(debianSignedModule('6.1.170', 'crypto/gcm.ko'));
    expect((doc.object as any).module.signature.readable).toBe(true);
    const path = at('signed.json');
    writeFileSync(path, JSON.stringify(doc));
    expect(readSnapshot(path).moduleInfo?.signature).toMatchObject({ readable: true });
    (doc.object as any).module.signature.signers[0].id = { kind: 'key-id' };
    writeFileSync(path, JSON.stringify(doc));
    expect(() => readSnapshot(path)).toThrow(`${path}: not a valid ABI snapshot: object.module.signature.signers[0].id.keyId: missing`);
  });

  it('an unmutated snapshot still reads, and gives the report the object gives', async () => {
    const r = await check('good.json', snapshotOf(FROZEN_DRIVER));
    const direct = await runCli(['check', FROZEN_DRIVER, '--kernel', NEW_KERNEL]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(direct.status);
  });
});

describe('a snapshot that is not JSON: one line (defect 6)', () => {
  it('a syntax error on the third line of a pretty-printed document', async () => {
    const r = await check('syntax.json', '{\n  "format": "relinkable-abi-snapshot",\n  "formatVersion": 2,,\n  "x": 1\n}\n');
    expect(r).toMatchObject({ status: 2, stdout: '' });
    expect(r.stderr).toBe(`relinkable: error: ${r.path}: not a valid ABI snapshot: not valid JSON (Expected double-quoted property name at line 3, column 22)\n`);
  });

  it('raw control bytes in the document are escaped, not printed', async () => {
    const r = await check('escape.json', '{"format": \u001b[2J\r\n}');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`relinkable: error: ${r.path}: not a valid ABI snapshot: not valid JSON (Unexpected token '\\e')\n`);
  });

  it('a document cut short says where', async () => {
    const r = await check('cut.json', '{\n  "format": "relinkable-abi-snapshot",\n  "formatVersion": ');
    expect(r.stderr).toBe(`relinkable: error: ${r.path}: not a valid ABI snapshot: not valid JSON (Unexpected end of JSON input)\n`);
  });
});
