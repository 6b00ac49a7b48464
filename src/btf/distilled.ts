import { InputError } from '../errors.js';
import { Btf } from './btf.js';
import { BTF_HEADER_SIZE, BTF_KIND, BTF_MAGIC, BTF_VERSION, hasTypeField, kindName } from './constants.js';
import { at } from './header.js';

/**
 * Distilled base BTF (.BTF.base; kernels 6.12+ built with pahole 1.27+ and
 * --btf_features=distilled_base, for out-of-tree modules). A module then carries a small
 * standalone base holding only the vmlinux types its split .BTF refers to, and only as
 * names: named INT, FLOAT, ENUM (with its size; an ENUM64 is written as a sized ENUM),
 * FWD, and STRUCT/UNION with their size but no members. At load time the split BTF is
 * relocated onto the running kernel's BTF by name (libbpf's and the kernel's btf_relocate.c):
 * each distilled type must find one base type of the same name and compatible kind, and a
 * struct or union that a split type embeds by value must also keep its size.
 */

export type DistilledStatus =
  /** Relocation finds exactly one base type for it. */
  | 'found'
  /** No base type of that name and a compatible kind. */
  | 'missing'
  /** Base types of that name and kind exist, none with the size relocation needs. */
  | 'size-differs'
  /** Several base types of that name and kind fit equally well. */
  | 'ambiguous';

export interface DistilledBaseMatch {
  /** The id in the distilled base. */
  readonly id: number;
  readonly kind: string;
  readonly name: string;
  /** INT, FLOAT, ENUM, STRUCT, UNION: the size the distilled base records; undefined for FWD. */
  readonly size: number | undefined;
  /** A split struct/union holds it by value (through typedefs, qualifiers, arrays): its size must match. */
  readonly embedded: boolean;
  readonly status: DistilledStatus;
  /** The real base id relocation maps it to (status 'found'). */
  readonly realId: number | undefined;
  /** Real base ids with the same name and a compatible kind. */
  readonly candidates: readonly number[];
  /** Whether the chosen (or only) candidate has the same size; undefined when there is none or the kind has no size. */
  readonly sizeMatches: boolean | undefined;
}

/** The distilled base holds only named INT, FLOAT, ENUM, FWD, STRUCT and UNION types (as libbpf requires). */
export function validateDistilledBase(distilled: Btf): void {
  if (distilled.isSplit) throw new InputError(distilled.file, `${distilled.section} is split BTF; a distilled base is standalone`);
  const allowed: number[] = [BTF_KIND.INT, BTF_KIND.FLOAT, BTF_KIND.ENUM, BTF_KIND.FWD, BTF_KIND.STRUCT, BTF_KIND.UNION];
  for (const id of distilled.ownIds()) {
    const kind = distilled.kind(id);
    const where = `type [${id}] ${kindName(kind)} at ${at(distilled.section, distilled.recordOffset(id))}`;
    if (!allowed.includes(kind)) throw new InputError(distilled.file, `${where}: a distilled base holds only INT, FLOAT, ENUM, FWD, STRUCT and UNION`);
    if (distilled.nameOff(id) === 0) throw new InputError(distilled.file, `${where}: a distilled base type must be named`);
  }
}

/** Distilled ids that a split struct/union embeds by value. */
function embeddedIds(split: Btf, distilledCount: number): Set<number> {
  const out = new Set<number>();
  for (const id of split.ownIds()) {
    const t = split.type(id);
    if (t.kind !== 'STRUCT' && t.kind !== 'UNION') continue;
    for (const m of t.members) {
      let next = m.type;
      for (let hops = 0; next !== 0 && hops < 64; hops++) {
        const u = split.type(next);
        if (u.kind === 'CONST' || u.kind === 'VOLATILE' || u.kind === 'RESTRICT' || u.kind === 'TYPEDEF' || u.kind === 'TYPE_TAG' || u.kind === 'ARRAY') {
          next = u.type;
        } else {
          if ((u.kind === 'STRUCT' || u.kind === 'UNION') && next < distilledCount) out.add(next);
          break;
        }
      }
    }
  }
  return out;
}

function sizeOfKind(btf: Btf, id: number): number | undefined {
  const t = btf.type(id);
  return 'size' in t ? t.size : undefined;
}

/**
 * For each distilled base type, whether `real` holds it with the same name, a compatible
 * kind and (where it matters) the same size. `split`, the module BTF on the distilled base,
 * tells which structs are embedded; without it none is taken as embedded.
 *
 * Kinds compatible: INT with INT of the same size and encoding; FLOAT with FLOAT of the same
 * size; ENUM with ENUM or ENUM64 of the same size; FWD with FWD of the same flavour or the
 * struct/union it declares; STRUCT with STRUCT and UNION with UNION (libbpf also lets a
 * distilled STRUCT match a same-named UNION or FWD; we do not).
 */
export function matchDistilledBase(distilled: Btf, real: Btf, split?: Btf): DistilledBaseMatch[] {
  validateDistilledBase(distilled);
  if (split && split.base !== distilled) throw new Error(`${split.file}: split BTF given is not split on this distilled base`);
  const embedded = split ? embeddedIds(split, distilled.typeCount) : new Set<number>();
  const out: DistilledBaseMatch[] = [];
  for (const id of distilled.ownIds()) {
    const t = distilled.type(id);
    const name = t.name;
    const size = sizeOfKind(distilled, id);
    const isEmbedded = embedded.has(id);
    let candidates: number[];
    let needSize = false;
    switch (t.kind) {
      case 'INT':
        candidates = real.idsNamed(name, BTF_KIND.INT).filter((r) => {
          const u = real.type(r);
          return u.kind === 'INT' && u.encoding === t.encoding;
        });
        needSize = true;
        break;
      case 'FLOAT':
        candidates = real.idsNamed(name, BTF_KIND.FLOAT);
        needSize = true;
        break;
      case 'ENUM':
      case 'ENUM64':
        candidates = [...real.idsNamed(name, BTF_KIND.ENUM), ...real.idsNamed(name, BTF_KIND.ENUM64)].sort((a, b) => a - b);
        needSize = true;
        break;
      case 'FWD':
        candidates = [
          ...real.idsNamed(name, BTF_KIND.FWD).filter((r) => real.type(r).kindFlag === t.kindFlag),
          ...real.idsNamed(name, t.union ? BTF_KIND.UNION : BTF_KIND.STRUCT),
        ].sort((a, b) => a - b);
        break;
      case 'STRUCT':
      case 'UNION': {
        candidates = real.idsNamed(name, t.kind === 'STRUCT' ? BTF_KIND.STRUCT : BTF_KIND.UNION);
        // Size decides when the struct is embedded, or when the name alone is ambiguous.
        needSize = isEmbedded || candidates.length > 1;
        break;
      }
      default:
        throw new Error(`unreachable: distilled kind ${t.kind}`);
    }
    const sized = needSize && size !== undefined ? candidates.filter((r) => sizeOfKind(real, r) === size) : candidates;
    let status: DistilledStatus;
    if (candidates.length === 0) status = 'missing';
    else if (sized.length === 0) status = 'size-differs';
    else if (sized.length > 1) status = 'ambiguous';
    else status = 'found';
    const chosen = status === 'found' ? sized[0] : candidates.length === 1 ? candidates[0] : undefined;
    const realSize = chosen === undefined ? undefined : sizeOfKind(real, chosen);
    out.push({
      id,
      kind: t.kind,
      name,
      size,
      embedded: isEmbedded,
      status,
      realId: status === 'found' ? chosen : undefined,
      candidates,
      sizeMatches: size === undefined || chosen === undefined || (t.kind === 'FWD') ? undefined : realSize === size,
    });
  }
  return out;
}

/**
 * Relocates split BTF built on a distilled base onto `real` (what the module loader does):
 * distilled ids become the ids of their matches, own ids move up by the difference in type
 * counts, names in the distilled base's strings become the matched real names, own string
 * offsets move by the difference in string lengths. Throws an InputError naming the first
 * distilled type that does not relocate.
 */
export function relocateSplit(split: Btf, real: Btf): Btf {
  const distilled = split.base;
  if (!distilled || distilled.isSplit) throw new Error(`${split.file}: not split BTF on a standalone (distilled) base`);
  if (real.littleEndian !== split.littleEndian) throw new InputError(split.file, `byte order differs from the base BTF's (${real.file})`);
  const matches = matchDistilledBase(distilled, real, split);
  const idMap = new Uint32Array(distilled.typeCount);
  const strMap = new Map<number, number>();
  for (const m of matches) {
    if (m.status !== 'found' || m.realId === undefined) {
      const sizeNote = m.size === undefined ? '' : ` of size ${m.size}`;
      throw new InputError(
        split.file,
        `distilled base type [${m.id}] ${m.kind} '${m.name}'${sizeNote} at ${at(distilled.section, distilled.recordOffset(m.id))}: ${m.status} in ${real.file}` +
          (m.candidates.length ? ` (candidates: ${m.candidates.map((c) => `[${c}]`).join(', ')})` : ''),
      );
    }
    idMap[m.id] = m.realId;
    strMap.set(distilled.nameOff(m.id), real.nameOff(m.realId));
  }
  const dCount = distilled.typeCount;
  const rCount = real.typeCount;
  const dStr = distilled.strings.total;
  const rStr = real.strings.total;
  const h = split.header;
  const types = split.bytes.subarray(h.typesStart, h.typesStart + h.typeLen);
  const strings = split.bytes.subarray(h.stringsStart, h.stringsStart + h.strLen);
  const out = Buffer.alloc(BTF_HEADER_SIZE + types.length + strings.length);
  const le = split.littleEndian;
  const w32 = (off: number, v: number): void => void (le ? out.writeUInt32LE(v >>> 0, off) : out.writeUInt32BE(v >>> 0, off));
  const r32 = (off: number): number => (le ? out.readUInt32LE(off) : out.readUInt32BE(off));
  if (le) out.writeUInt16LE(BTF_MAGIC, 0);
  else out.writeUInt16BE(BTF_MAGIC, 0);
  out[2] = BTF_VERSION;
  out[3] = h.flags;
  w32(4, BTF_HEADER_SIZE);
  w32(8, 0);
  w32(12, types.length);
  w32(16, types.length);
  w32(20, strings.length);
  types.copy(out, BTF_HEADER_SIZE);
  strings.copy(out, BTF_HEADER_SIZE + types.length);
  const mapId = (off: number): void => {
    const id = r32(off);
    w32(off, id === 0 ? 0 : id < dCount ? idMap[id]! : id - dCount + rCount);
  };
  const mapStr = (off: number, what: string): void => {
    const s = r32(off);
    if (s === 0) return;
    if (s >= dStr) return w32(off, s - dStr + rStr);
    const to = strMap.get(s);
    if (to === undefined) {
      throw new InputError(split.file, `${what}: string offset ${s} ('${distilled.strings.get(s)}') in the distilled base is not the name of a relocated type`);
    }
    w32(off, to);
  };
  for (const id of split.ownIds()) {
    const t = split.type(id);
    const r = BTF_HEADER_SIZE + (split.recordOffset(id) - h.typesStart);
    const what = `type [${id}] ${t.kind} at ${at(split.section, split.recordOffset(id))}`;
    mapStr(r, what);
    if (hasTypeField(split.kind(id))) mapId(r + 8);
    const body = r + 12;
    switch (t.kind) {
      case 'ARRAY':
        mapId(body);
        mapId(body + 4);
        break;
      case 'STRUCT':
      case 'UNION':
        for (let i = 0; i < t.vlen; i++) mapStr(body + i * 12, what), mapId(body + i * 12 + 4);
        break;
      case 'ENUM':
        for (let i = 0; i < t.vlen; i++) mapStr(body + i * 8, what);
        break;
      case 'ENUM64':
        for (let i = 0; i < t.vlen; i++) mapStr(body + i * 12, what);
        break;
      case 'FUNC_PROTO':
        for (let i = 0; i < t.vlen; i++) mapStr(body + i * 8, what), mapId(body + i * 8 + 4);
        break;
      case 'DATASEC':
        for (let i = 0; i < t.vlen; i++) mapId(body + i * 12);
        break;
      default:
        break;
    }
  }
  return Btf.parse(out, split.file, real, { section: `${split.section} (relocated)` });
}
