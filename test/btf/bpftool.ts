import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Btf } from '../../src/btf/index.js';

/**
 * bpftool as the oracle: `bpftool [-B base] btf dump file X format raw`, parsed. Each type is
 * a header line `[id] KIND 'name' key=value ...` and, for kinds with a vlen, one tab-indented
 * line per member/enumerator/parameter/variable. The same records are built from our Btf
 * (`recordsOf`) field by field, so a test compares structures, not our rendering of text.
 */

export const BPFTOOL = '/usr/sbin/bpftool';

export function bpftoolRaw(file: string, base?: string): string {
  if (!existsSync(BPFTOOL)) throw new Error(`${BPFTOOL} is missing: the BTF tests need bpftool as their oracle`);
  const args = [...(base ? ['-B', base] : []), 'btf', 'dump', 'file', file, 'format', 'raw'];
  const r = spawnSync(BPFTOOL, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`bpftool ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export interface RawItem {
  /** The quoted name at the start of the line ('(anon)' when bpftool prints no name); undefined for DATASEC entries. */
  readonly name: string | undefined;
  readonly fields: Readonly<Record<string, string>>;
}

export interface RawRecord {
  readonly id: number;
  readonly kind: string;
  readonly name: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly items: readonly RawItem[];
}

/** key=value pairs; VAR prints "type_id=1, linkage=static"; DATASEC entries end with "(VAR 'name')". */
function fieldsOf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let variable: string | undefined;
  const rest = text.replace(/\((\w+) '([^']*)'\)\s*$/, (_m, kind: string, name: string) => {
    variable = `${kind} '${name}'`;
    return '';
  });
  for (const m of rest.matchAll(/(\w+)=([^\s,]+)/g)) out[m[1]!] = m[2]!;
  if (variable !== undefined) out['var'] = variable;
  return out;
}

export function parseRaw(text: string): RawRecord[] {
  const out: RawRecord[] = [];
  let current: { id: number; kind: string; name: string; fields: Record<string, string>; items: RawItem[] } | undefined;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('\t')) {
      if (!current) throw new Error(`bpftool output: item line before any type: ${line}`);
      const m = /^\t'([^']*)'(.*)$/.exec(line);
      current.items.push(m ? { name: m[1]!, fields: fieldsOf(m[2]!) } : { name: undefined, fields: fieldsOf(line.slice(1)) });
      continue;
    }
    const m = /^\[(\d+)\] (\w+) '([^']*)'(.*)$/.exec(line);
    if (!m) throw new Error(`bpftool output: cannot parse line: ${line}`);
    current = { id: Number(m[1]), kind: m[2]!, name: m[3]!, fields: fieldsOf(m[4]!), items: [] };
    out.push(current);
  }
  return out;
}

/** bpftool prints '(anon)' for name offset 0, and the string (possibly empty) for any other offset. */
const anon = (x: { name: string; nameOff: number }): string => (x.nameOff === 0 ? '(anon)' : x.name);
const INT_ENCODING: Record<number, string> = { 0: '(none)', 1: 'SIGNED', 2: 'CHAR', 4: 'BOOL' };

/** The record bpftool would print for type `id`, built from our decoded type. */
export function recordOf(btf: Btf, id: number): RawRecord {
  const t = btf.type(id);
  const base = { id, kind: t.kind, name: anon(t) };
  const s = String;
  switch (t.kind) {
    case 'VOID':
      throw new Error('void has no record');
    case 'INT':
      return { ...base, fields: { size: s(t.size), bits_offset: s(t.bitOffset), nr_bits: s(t.bits), encoding: INT_ENCODING[t.encoding] ?? 'UNKN' }, items: [] };
    case 'PTR':
    case 'TYPEDEF':
    case 'CONST':
    case 'VOLATILE':
    case 'RESTRICT':
    case 'TYPE_TAG':
      return { ...base, fields: { type_id: s(t.type) }, items: [] };
    case 'ARRAY':
      return { ...base, fields: { type_id: s(t.type), index_type_id: s(t.indexType), nr_elems: s(t.nelems) }, items: [] };
    case 'STRUCT':
    case 'UNION':
      return {
        ...base,
        fields: { size: s(t.size), vlen: s(t.vlen) },
        items: t.members.map((m) => ({
          name: anon(m),
          fields: { type_id: s(m.type), bits_offset: s(m.bitOffset), ...(m.bitfieldSize ? { bitfield_size: s(m.bitfieldSize) } : {}) },
        })),
      };
    case 'ENUM':
    case 'ENUM64':
      return {
        ...base,
        fields: { encoding: t.signed ? 'SIGNED' : 'UNSIGNED', size: s(t.size), vlen: s(t.vlen) },
        items: t.values.map((v) => ({
          name: anon(v),
          fields: { val: t.kind === 'ENUM' ? s(v.value) : `${v.value}${t.signed ? 'LL' : 'ULL'}` },
        })),
      };
    case 'FWD':
      return { ...base, fields: { fwd_kind: t.union ? 'union' : 'struct' }, items: [] };
    case 'FUNC':
      return { ...base, fields: { type_id: s(t.type), linkage: t.linkage }, items: [] };
    case 'FUNC_PROTO':
      return {
        ...base,
        fields: { ret_type_id: s(t.returns), vlen: s(t.vlen) },
        items: t.params.map((p) => ({ name: anon(p), fields: { type_id: s(p.type) } })),
      };
    case 'VAR':
      return { ...base, fields: { type_id: s(t.type), linkage: t.linkage }, items: [] };
    case 'DATASEC':
      return {
        ...base,
        fields: { size: s(t.size), vlen: s(t.vlen) },
        items: t.vars.map((v) => ({
          name: undefined,
          fields: { type_id: s(v.type), offset: s(v.offset), size: s(v.size), var: `${btf.type(v.type).kind} '${btf.name(v.type)}'` },
        })),
      };
    case 'FLOAT':
      return { ...base, fields: { size: s(t.size) }, items: [] };
    case 'DECL_TAG':
      return { ...base, fields: { type_id: s(t.type), component_idx: s(t.componentIdx) }, items: [] };
  }
}

/** Our records for ids from..typeCount-1 (a split blob's own types by default, as bpftool -B prints). */
export function recordsOf(btf: Btf, from = btf.startId): RawRecord[] {
  const out: RawRecord[] = [];
  for (let id = from; id < btf.typeCount; id++) out.push(recordOf(btf, id));
  return out;
}

/**
 * Compares record lists; on a difference, reports the first differing record of each side
 * (a whole-list diff of 110,000 types is unreadable).
 */
export function firstDifference(ours: readonly RawRecord[], theirs: readonly RawRecord[]): { index: number; ours: RawRecord | undefined; bpftool: RawRecord | undefined } | undefined {
  const n = Math.max(ours.length, theirs.length);
  for (let i = 0; i < n; i++) {
    if (JSON.stringify(ours[i]) !== JSON.stringify(theirs[i])) return { index: i, ours: ours[i], bpftool: theirs[i] };
  }
  return undefined;
}
