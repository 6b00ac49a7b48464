import { InputError } from '../errors.js';
import { sizeOf, typeRef } from '../graph/type-graph.js';
import { Btf } from './btf.js';
import { BTF_KIND, BTF_TYPE_SIZE, extraSize, hasTypeField, kindName } from './constants.js';
import { BtfTypeGraph } from './type-graph.js';
import { at, readHeader } from './header.js';

/**
 * Split BTF and the base it was built against.
 *
 * A module's .BTF continues vmlinux's: its first type id is the base's type count and its
 * string offsets start at the base's string length. Nothing in the split data names the
 * base: no checksum, no build-id, not even the type count or string length it assumed.
 * Read on another base, every id and offset still resolves to *something* (bpftool and the
 * kernel loader print or accept it), so a mismatch has to be inferred:
 *
 *  1. The base string length the split was built against can be recovered: every string of
 *     the split's own section is referenced by some type (producers store only the strings
 *     they use; libbpf's dedup drops the rest), own strings lie above every base offset, so
 *     the largest name offset used is `baseStrLen + start of the last own string`. The
 *     inference is checked: every offset at or above the inferred length must land on the
 *     start of an own string.
 *  2. The base type count cannot be recovered, only bounded below: the largest id referenced
 *     minus the own count. (Own types are referenced by id like base types, and any count
 *     above the bound gives every reference *some* type.)
 *  3. Read on a given base: name offsets that land in the middle of a string, references
 *     whose kind contradicts their use (a FUNC whose type is not a FUNC_PROTO, a member
 *     whose type is a FUNC), and members that reach past the end of their struct.
 */

/** Facts read from split BTF data without a base. */
export interface SplitFacts {
  readonly ownCount: number;
  readonly ownStringLength: number;
  /** The base string length the split BTF was built against; undefined when the inference fails its own check. */
  readonly baseStringLength: number | undefined;
  /** No base with fewer types can hold every id the split BTF references. */
  readonly minBaseTypeCount: number;
}

interface RawRecord {
  readonly offset: number;
  readonly kind: number;
  readonly nameOff: number;
}

/** Walks split BTF records without a base: boundaries and kinds, all lengths checked. */
function walk(bytes: Buffer, file: string, section: string) {
  const h = readHeader(bytes, file, section);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const le = h.littleEndian;
  const u32 = (o: number): number => view.getUint32(o, le);
  const records: RawRecord[] = [];
  const nameOffs: number[] = [];
  let refMax = 0;
  const ref = (id: number): void => {
    if (id > refMax) refMax = id;
  };
  const end = h.typesStart + h.typeLen;
  for (let off = h.typesStart; off < end; ) {
    if (end - off < BTF_TYPE_SIZE) throw new InputError(file, `type #${records.length} at ${at(section, off)}: ${end - off} bytes left in the type section`);
    const info = u32(off + 4);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const extra = kind === 0 ? undefined : extraSize(kind, vlen);
    if (extra === undefined) throw new InputError(file, `type #${records.length} at ${at(section, off)}: unknown kind ${kind}`);
    if (BTF_TYPE_SIZE + extra > end - off) throw new InputError(file, `type #${records.length} ${kindName(kind)} at ${at(section, off)}: record runs past the end of the type section`);
    const sizeOrType = u32(off + 8);
    records.push({ offset: off, kind, nameOff: u32(off) });
    nameOffs.push(u32(off));
    const body = off + BTF_TYPE_SIZE;
    if (hasTypeField(kind)) ref(sizeOrType);
    switch (kind) {
      case BTF_KIND.ARRAY:
        ref(u32(body));
        ref(u32(body + 4));
        break;
      case BTF_KIND.STRUCT:
      case BTF_KIND.UNION:
        for (let i = 0; i < vlen; i++) nameOffs.push(u32(body + i * 12)), ref(u32(body + i * 12 + 4));
        break;
      case BTF_KIND.ENUM:
        for (let i = 0; i < vlen; i++) nameOffs.push(u32(body + i * 8));
        break;
      case BTF_KIND.ENUM64:
        for (let i = 0; i < vlen; i++) nameOffs.push(u32(body + i * 12));
        break;
      case BTF_KIND.FUNC_PROTO:
        for (let i = 0; i < vlen; i++) nameOffs.push(u32(body + i * 8)), ref(u32(body + i * 8 + 4));
        break;
      case BTF_KIND.DATASEC:
        for (let i = 0; i < vlen; i++) ref(u32(body + i * 12));
        break;
      default:
        break;
    }
    off = body + extra;
  }
  const strings = bytes.subarray(h.stringsStart, h.stringsStart + h.strLen);
  if (strings.length > 0 && strings[strings.length - 1] !== 0) {
    throw new InputError(file, `string section at ${at(section, h.stringsStart + strings.length - 1)}: last string is not NUL-terminated`);
  }
  return { records, nameOffs, refMax, strings };
}

/** What split BTF data says about the base it was built against (no base needed). */
export function splitFacts(bytes: Buffer, file: string, section = '.BTF'): SplitFacts {
  const { records, nameOffs, refMax, strings } = walk(bytes, file, section);
  const ownCount = records.length;
  // 1. Base string length: the largest offset used names the last own string.
  let baseStringLength: number | undefined;
  const starts: number[] = [];
  // The section ends with a NUL (checked), so every string start is followed by one.
  for (let i = 0; i < strings.length; i = strings.indexOf(0, i) + 1) starts.push(i);
  const maxUsed = nameOffs.reduce((m, o) => Math.max(m, o), 0);
  const lastStart = starts[starts.length - 1];
  if (lastStart !== undefined && maxUsed >= lastStart) {
    const candidate = maxUsed - lastStart;
    const startSet = new Set(starts);
    const ok = nameOffs.every((o) => o === 0 || o < candidate || startSet.has(o - candidate));
    if (ok) baseStringLength = candidate;
  }
  // 2. Base type count.
  const minBaseTypeCount = Math.max(1, refMax - ownCount + 1);
  return { ownCount, ownStringLength: strings.length, baseStringLength, minBaseTypeCount };
}

/** A named type that split BTF defines itself, its name read from the split's own strings. */
export interface SplitOwnType {
  /** struct, union, typedef, func, enum, … (lower case, as BTF_ID() writes the kind). */
  readonly kind: string;
  readonly name: string;
}

/**
 * The named types split BTF defines itself whose names are among its own strings, read
 * without its base: an own string lies at or above the inferred base string length
 * (splitFacts). A type named by a base string (a name the base also uses) is not listed;
 * nothing is listed when the base string length cannot be inferred.
 */
export function splitOwnTypes(bytes: Buffer, file: string, section = '.BTF'): SplitOwnType[] {
  const facts = splitFacts(bytes, file, section);
  const base = facts.baseStringLength;
  if (base === undefined) return [];
  const { records, strings } = walk(bytes, file, section);
  const out: SplitOwnType[] = [];
  for (const r of records) {
    if (r.nameOff === 0 || r.nameOff < base) continue;
    const start = r.nameOff - base;
    const end = strings.indexOf(0, start);
    if (end <= start) continue;
    out.push({ kind: kindName(r.kind).toLowerCase(), name: strings.toString('latin1', start, end) });
  }
  return out;
}

/**
 * splitOwnTypes of a module's .BTF given as base64 (ObjectConventions.btf.split); none when
 * the data cannot be read (the split-BTF check reports that as unreadable).
 */
export function ownTypesOfSplit(base64: string, file: string): SplitOwnType[] {
  try {
    return splitOwnTypes(Buffer.from(base64, 'base64'), file);
  } catch (err) {
    if (err instanceof InputError) return [];
    throw err;
  }
}

export type SplitBaseProblem =
  /** The split BTF was built against a base with another string length. */
  | 'string-length'
  /** The base has fewer types than the split BTF's references need. */
  | 'type-count'
  /** The split BTF does not even parse on this base (ids or offsets out of range, loops). */
  | 'unreadable'
  /** A name offset lands inside a string. */
  | 'name-inside-string'
  /** A reference's kind contradicts its use. */
  | 'kind-contradiction'
  /** A member reaches past the end of its struct or union. */
  | 'member-past-end';

export interface SplitBaseFinding {
  readonly problem: SplitBaseProblem;
  /** The split type where it was seen; undefined for a property of the whole blob. */
  readonly id: number | undefined;
  readonly detail: string;
}

export interface SplitBaseCheck {
  readonly facts: SplitFacts;
  readonly baseStringLength: number;
  readonly baseTypeCount: number;
  /** Per problem, how many times it was seen (findings keep at most `examples` of each). */
  readonly counts: Readonly<Partial<Record<SplitBaseProblem, number>>>;
  readonly findings: readonly SplitBaseFinding[];
  /** No evidence of a mismatch. This does not prove the base is the one it was built against (see docs/btf.md). */
  readonly consistent: boolean;
}

/** Kinds that are not the type of a value: a member, parameter, variable, array element or typedef cannot have them. */
function notAValue(kind: number): boolean {
  return kind === BTF_KIND.FUNC || kind === BTF_KIND.VAR || kind === BTF_KIND.DATASEC || kind === BTF_KIND.DECL_TAG;
}

/**
 * Whether split BTF data fits `base`: the inferred string length and type count, and, when
 * it parses, the anomalies visible on this base. `examples` bounds the findings kept per problem.
 */
export function checkSplitBase(bytes: Buffer, file: string, base: Btf, options: { examples?: number; section?: string } = {}): SplitBaseCheck {
  const examples = options.examples ?? 5;
  const section = options.section ?? '.BTF';
  const facts = splitFacts(bytes, file, section);
  const counts: Partial<Record<SplitBaseProblem, number>> = {};
  const findings: SplitBaseFinding[] = [];
  const note = (problem: SplitBaseProblem, id: number | undefined, detail: string): void => {
    const n = (counts[problem] ?? 0) + 1;
    counts[problem] = n;
    if (n <= examples) findings.push({ problem, id, detail });
  };
  const baseStringLength = base.strings.total;
  const baseTypeCount = base.typeCount;
  if (facts.baseStringLength !== undefined && facts.baseStringLength !== baseStringLength) {
    note('string-length', undefined, `built against a base with ${facts.baseStringLength} bytes of strings; ${base.file} has ${baseStringLength}`);
  }
  if (baseTypeCount < facts.minBaseTypeCount) {
    note('type-count', undefined, `references need a base of at least ${facts.minBaseTypeCount} types; ${base.file} has ${baseTypeCount}`);
  }
  let split: Btf | undefined;
  try {
    split = Btf.parse(bytes, file, base, { section });
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    note('unreadable', undefined, err.problem);
  }
  if (split) anomalies(split, note);
  return { facts, baseStringLength, baseTypeCount, counts, findings, consistent: findings.length === 0 };
}

function anomalies(split: Btf, note: (problem: SplitBaseProblem, id: number | undefined, detail: string) => void): void {
  const strings = split.strings;
  const graph = new BtfTypeGraph(split);
  const describe = (id: number): string => `[${id}] ${kindName(split.kind(id))}${split.name(id) ? ` '${split.name(id)}'` : ''}`;
  const checkName = (id: number, off: number, what: string): void => {
    if (off !== 0 && !strings.isStart(off)) note('name-inside-string', id, `${what} of ${describe(id)}: offset ${off} is inside a string ('${strings.get(off)}')`);
  };
  const checkValue = (id: number, ref: number, what: string): void => {
    if (ref !== 0 && notAValue(split.kind(ref))) note('kind-contradiction', id, `${what} of ${describe(id)} is ${describe(ref)}, not a type of a value`);
  };
  for (const id of split.ownIds()) {
    const t = split.type(id);
    checkName(id, t.nameOff, 'name');
    switch (t.kind) {
      case 'STRUCT':
      case 'UNION':
        for (const [i, m] of t.members.entries()) {
          checkName(id, m.nameOff, `member ${i} name`);
          if (m.type === 0) note('kind-contradiction', id, `member ${i} of ${describe(id)} has type void`);
          else checkValue(id, m.type, `member ${i} ('${m.name}') type`);
          if (m.type !== 0 && split.kind(m.type) === BTF_KIND.FUNC_PROTO) note('kind-contradiction', id, `member ${i} of ${describe(id)} is a function`);
        }
        memberBounds(graph, split, id, note, describe);
        break;
      case 'ENUM':
      case 'ENUM64':
        for (const [i, v] of t.values.entries()) checkName(id, v.nameOff, `enumerator ${i} name`);
        break;
      case 'FUNC_PROTO':
        checkValue(id, t.returns, 'return type');
        for (const [i, p] of t.params.entries()) {
          checkName(id, p.nameOff, `parameter ${i} name`);
          if (p.type === 0 && i !== t.params.length - 1) note('kind-contradiction', id, `parameter ${i} of ${describe(id)} is void but not last`);
          checkValue(id, p.type, `parameter ${i} type`);
        }
        break;
      case 'FUNC':
        if (split.kind(t.type) !== BTF_KIND.FUNC_PROTO) note('kind-contradiction', id, `type of ${describe(id)} is ${describe(t.type)}, not a FUNC_PROTO`);
        break;
      case 'DATASEC':
        for (const [i, v] of t.vars.entries()) {
          if (split.kind(v.type) !== BTF_KIND.VAR) note('kind-contradiction', id, `variable ${i} of ${describe(id)} is ${describe(v.type)}, not a VAR`);
        }
        break;
      case 'ARRAY':
        checkValue(id, t.type, 'element type');
        if (t.type === 0) note('kind-contradiction', id, `element type of ${describe(id)} is void`);
        break;
      case 'PTR':
      case 'TYPEDEF':
      case 'CONST':
      case 'VOLATILE':
      case 'RESTRICT':
      case 'TYPE_TAG':
      case 'VAR':
        checkValue(id, t.type, 'target');
        break;
      case 'DECL_TAG': {
        const k = split.kind(t.type);
        if (![BTF_KIND.STRUCT, BTF_KIND.UNION, BTF_KIND.FUNC, BTF_KIND.VAR, BTF_KIND.TYPEDEF].includes(k as 4)) {
          note('kind-contradiction', id, `${describe(id)} tags ${describe(t.type)}, which cannot carry a declaration tag`);
        }
        break;
      }
      default:
        break;
    }
  }
}

/** Members must end within their struct (sizes of base types as this base has them). */
function memberBounds(
  graph: BtfTypeGraph,
  split: Btf,
  id: number,
  note: (problem: SplitBaseProblem, id: number | undefined, detail: string) => void,
  describe: (id: number) => string,
): void {
  const n = graph.node(typeRef(id));
  if ((n.kind !== 'struct' && n.kind !== 'union') || n.size === undefined) return;
  for (const [i, m] of n.members.entries()) {
    let bits = m.bitSize;
    if (bits === undefined) {
      if (m.type === 0 || notAValue(split.kind(m.type))) continue;
      const bytes = sizeOf(graph, m.type);
      if (bytes === undefined) continue;
      bits = bytes * 8;
    }
    if (m.bitOffset + bits > n.size * 8) {
      note('member-past-end', id, `member ${i} ('${m.name ?? ''}') of ${describe(id)} spans bits ${m.bitOffset}..${m.bitOffset + bits} of a ${n.size}-byte ${n.kind}`);
    }
  }
}
