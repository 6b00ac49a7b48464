import { InputError } from '../errors.js';
import { LIMITS } from '../limits.js';
import { BTF_KIND, BTF_TYPE_SIZE, extraSize, kindName } from './constants.js';
import { at, readHeader, type BtfHeader } from './header.js';
import { BtfStrings, hashKey } from './strings.js';
import { VOID_TYPE, decodeType, type BtfType, type RecordBytes } from './types.js';

export interface ParseOptions {
  /** The section name used in messages (".BTF", ".BTF.base"). */
  readonly section?: string;
}

/**
 * One BTF blob: a base (vmlinux, a distilled .BTF.base) or split BTF on top of a base (a
 * module's .BTF). Types form one flat id space: 0 is void, 1..base.typeCount-1 are the base's,
 * then this blob's own. Parsing walks the type section once, checking every record's length,
 * kind, name offsets and type ids, and keeps only typed arrays (record offset, kind and name
 * offset per type; a fourth, the chain target, lives for the loop check); a type is decoded
 * when asked for and cached.
 */
export class Btf {
  readonly header: BtfHeader;
  readonly strings: BtfStrings;
  /** The first id of this blob's own types: 1 for a base, base.typeCount for split BTF. */
  readonly startId: number;
  /** Number of ids, void and base included (libbpf's btf__type_cnt). */
  readonly typeCount: number;
  readonly littleEndian: boolean;
  private readonly record: RecordBytes;
  private readonly offsets: Uint32Array;
  private readonly kinds: Uint8Array;
  private readonly nameOffs: Uint32Array;
  private readonly cache = new Map<number, BtfType>();
  private slots: Int32Array | undefined;
  private chain: Int32Array | undefined;

  private constructor(
    readonly bytes: Buffer,
    readonly file: string,
    readonly base: Btf | undefined,
    readonly section: string,
  ) {
    this.header = readHeader(bytes, file, section);
    this.littleEndian = this.header.littleEndian;
    if (base && base.littleEndian !== this.littleEndian) {
      throw new InputError(file, `BTF magic at ${at(section, 0)}: byte order differs from the base BTF's (${base.file})`);
    }
    const h = this.header;
    this.strings = new BtfStrings(file, section, bytes.subarray(h.stringsStart, h.stringsStart + h.strLen), h.stringsStart, base?.strings);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    this.record = { file, section, view, littleEndian: this.littleEndian, strings: this.strings };
    this.startId = base ? base.typeCount : 1;
    const index = this.index(view);
    this.offsets = index.offsets;
    this.kinds = index.kinds;
    this.nameOffs = index.nameOffs;
    this.typeCount = this.startId + this.offsets.length;
    this.checkReferences(index.refMax, index.refMaxAt);
    this.checkLoops(index.targets);
  }

  /**
   * Parses BTF data (a .BTF section's bytes, or a raw BTF file such as /sys/kernel/btf/vmlinux).
   * With `base`, the data is split BTF whose ids and string offsets continue the base's.
   */
  static parse(bytes: Buffer, file: string, base?: Btf, options: ParseOptions = {}): Btf {
    return new Btf(bytes, file, base, options.section ?? '.BTF');
  }

  /** How many of this blob's own types have been decoded so far (parsing decodes none). */
  get decodedCount(): number {
    return this.cache.size;
  }

  /** Number of this blob's own types. */
  get ownCount(): number {
    return this.offsets.length;
  }

  get isSplit(): boolean {
    return this.base !== undefined;
  }

  private fail(what: string, offset: number, problem: string): never {
    throw new InputError(this.file, `${what} at ${at(this.section, offset)}: ${problem}`);
  }

  private badName(what: string, where: number, nameOff: number): never {
    const total = this.strings.total;
    return this.fail(what, where, `name offset ${nameOff} is past the end of the strings (${total} bytes${this.base ? ', base included' : ''})`);
  }

  /**
   * Pass 1: record boundaries, kinds, names; the largest type id referenced and where (ids are
   * checked once the walk knows how many there are). One plain loop: 110,000 vmlinux types.
   */
  private index(view: DataView): {
    offsets: Uint32Array;
    kinds: Uint8Array;
    nameOffs: Uint32Array;
    targets: Uint32Array;
    refMax: number;
    refMaxAt: number;
  } {
    const h = this.header;
    const le = this.littleEndian;
    const end = h.typesStart + h.typeLen;
    const cap = Math.floor(h.typeLen / BTF_TYPE_SIZE);
    const offsets = new Uint32Array(cap);
    const kinds = new Uint8Array(cap);
    const nameOffs = new Uint32Array(cap);
    const targets = new Uint32Array(cap);
    const strTotal = this.strings.total;
    let refMax = 0;
    let refMaxAt = 0;
    let n = 0;
    let off = h.typesStart;
    while (off < end) {
      if (end - off < BTF_TYPE_SIZE) this.fail(`type [${this.startId + n}]`, off, `${end - off} bytes left in the type section, a type needs ${BTF_TYPE_SIZE}`);
      const nameOff = view.getUint32(off, le);
      const info = view.getUint32(off + 4, le);
      const sizeOrType = view.getUint32(off + 8, le);
      const kind = (info >>> 24) & 0x1f;
      const vlen = info & 0xffff;
      const extra = kind === BTF_KIND.UNKN ? undefined : extraSize(kind, vlen);
      if (extra === undefined) this.fail(`type [${this.startId + n}]`, off, `unknown kind ${kind}`);
      const size = BTF_TYPE_SIZE + extra;
      if (size > end - off) {
        this.fail(
          `type [${this.startId + n}] ${kindName(kind)}`,
          off,
          `record of ${size} bytes (vlen ${vlen}) runs past the end of the type section (${end - off} bytes left)`,
        );
      }
      if (nameOff >= strTotal) this.badName(`type [${this.startId + n}] ${kindName(kind)}`, off, nameOff);
      let target = 0;
      const body = off + BTF_TYPE_SIZE;
      switch (kind) {
        case BTF_KIND.INT:
        case BTF_KIND.FWD:
        case BTF_KIND.FLOAT:
          break;
        case BTF_KIND.ARRAY: {
          target = view.getUint32(body, le);
          const index = view.getUint32(body + 4, le);
          if (target > refMax) (refMax = target), (refMaxAt = body);
          if (index > refMax) (refMax = index), (refMaxAt = body + 4);
          break;
        }
        case BTF_KIND.STRUCT:
        case BTF_KIND.UNION:
          for (let i = 0, m = body; i < vlen; i++, m += 12) {
            const mName = view.getUint32(m, le);
            if (mName >= strTotal) this.badName(`member ${i} of type [${this.startId + n}]`, m, mName);
            const t = view.getUint32(m + 4, le);
            if (t > refMax) (refMax = t), (refMaxAt = m + 4);
          }
          break;
        case BTF_KIND.ENUM:
        case BTF_KIND.ENUM64: {
          const step = kind === BTF_KIND.ENUM ? 8 : 12;
          for (let i = 0, e = body; i < vlen; i++, e += step) {
            const eName = view.getUint32(e, le);
            if (eName >= strTotal) this.badName(`enumerator ${i} of type [${this.startId + n}]`, e, eName);
          }
          break;
        }
        case BTF_KIND.FUNC_PROTO:
          if (sizeOrType > refMax) (refMax = sizeOrType), (refMaxAt = off + 8);
          for (let i = 0, p = body; i < vlen; i++, p += 8) {
            const pName = view.getUint32(p, le);
            if (pName >= strTotal) this.badName(`parameter ${i} of type [${this.startId + n}]`, p, pName);
            const t = view.getUint32(p + 4, le);
            if (t > refMax) (refMax = t), (refMaxAt = p + 4);
          }
          break;
        case BTF_KIND.DATASEC:
          for (let i = 0, s = body; i < vlen; i++, s += 12) {
            const t = view.getUint32(s, le);
            if (t > refMax) (refMax = t), (refMaxAt = s);
          }
          break;
        default:
          // PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, VAR, DECL_TAG, TYPE_TAG: one type id, chained.
          target = sizeOrType;
          if (sizeOrType > refMax) (refMax = sizeOrType), (refMaxAt = off + 8);
          break;
      }
      offsets[n] = off;
      kinds[n] = kind;
      nameOffs[n] = nameOff;
      targets[n] = target;
      n++;
      off += size;
    }
    return {
      offsets: offsets.subarray(0, n),
      kinds: kinds.subarray(0, n),
      nameOffs: nameOffs.subarray(0, n),
      targets: targets.subarray(0, n),
      refMax,
      refMaxAt,
    };
  }

  /** Every type id a record holds must name a type (ids are only known after the walk). */
  private checkReferences(refMax: number, refMaxAt: number): void {
    if (refMax < this.typeCount) return;
    // The record holding the reference, for the message.
    let lo = 0;
    let hi = this.offsets.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.offsets[mid]! <= refMaxAt) lo = mid;
      else hi = mid - 1;
    }
    const id = this.startId + lo;
    this.fail(
      `type [${id}] ${kindName(this.kinds[lo]!)}`,
      refMaxAt,
      `refers to type id ${refMax}, past the last type (${this.typeCount - 1}${this.base ? `; ids below ${this.startId} are the base's` : ''})`,
    );
  }

  /**
   * A chain of pointers, typedefs, qualifiers, arrays (and FUNC/VAR/DECL_TAG links) that
   * comes back to where it started describes no type; resolving it would never end. Each
   * type has at most one such link, so this is a walk over a functional graph, O(types).
   * Base ids never refer to split ids, so only this blob's own types can close a loop.
   */
  private checkLoops(targets: Uint32Array): void {
    const n = targets.length;
    const start = this.startId;
    const state = new Uint8Array(n); // 0 new, 1 on the current path, 2 done
    for (let i = 0; i < n; i++) {
      if (state[i] !== 0) continue;
      let j = i;
      for (;;) {
        state[j] = 1;
        const next = targets[j]! - start;
        if (next < 0 || next >= n || state[next] === 2) break;
        if (state[next] === 1) this.loopAt(targets, next);
        j = next;
      }
      // Mark the path done.
      for (j = i; state[j] === 1; ) {
        state[j] = 2;
        const next = targets[j]! - start;
        if (next < 0 || next >= n) break;
        j = next;
      }
    }
  }

  /** A loop's error: its first LIMITS.LOOP_IDS_SHOWN ids and its length, whatever its length. */
  private loopAt(targets: Uint32Array, first: number): never {
    const shown = LIMITS.LOOP_IDS_SHOWN.value;
    const ids = [`[${this.startId + first}]`];
    let length = 1;
    for (let k = targets[first]! - this.startId; k !== first && length <= targets.length; k = targets[k]! - this.startId) {
      if (length < shown) ids.push(`[${this.startId + k}]`);
      length++;
    }
    const path = length <= shown ? [...ids, ids[0]].join(' -> ') : `${ids.join(' -> ')} -> … (${length} types in all) -> ${ids[0]}`;
    return this.fail(`type [${this.startId + first}] ${kindName(this.kinds[first]!)}`, this.offsets[first]!, `reference loop ${path}`);
  }

  /** Whether `id` names a type (void included). */
  has(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.typeCount;
  }

  private own(id: number): number {
    return id - this.startId;
  }

  /** The Btf whose own types hold `id` (this or a base). */
  owner(id: number): Btf {
    let b: Btf = this;
    while (id < b.startId && b.base) b = b.base;
    return b;
  }

  private checkId(id: number): void {
    if (!this.has(id)) throw new InputError(this.file, `type id ${id} out of range (${this.typeCount} types${this.base ? ', base included' : ''})`);
  }

  /** The BTF kind number of `id` (0 for void) without decoding it. */
  kind(id: number): number {
    this.checkId(id);
    if (id === 0) return BTF_KIND.UNKN;
    if (id < this.startId) return this.base!.kind(id);
    return this.kinds[this.own(id)]!;
  }

  nameOff(id: number): number {
    this.checkId(id);
    if (id === 0) return 0;
    if (id < this.startId) return this.base!.nameOff(id);
    return this.nameOffs[this.own(id)]!;
  }

  /** The type's name ('' when anonymous), without decoding the type. */
  name(id: number): string {
    return this.strings.get(this.nameOff(id));
  }

  /** Offset of the type's record in its blob's data (for messages); -1 for void. */
  recordOffset(id: number): number {
    this.checkId(id);
    if (id === 0) return -1;
    if (id < this.startId) return this.base!.recordOffset(id);
    return this.offsets[this.own(id)]!;
  }

  /** The decoded type `id` (cached). */
  type(id: number): BtfType {
    this.checkId(id);
    if (id === 0) return VOID_TYPE;
    if (id < this.startId) return this.base!.type(id);
    let t = this.cache.get(id);
    if (!t) {
      t = decodeType(this.record, id, this.offsets[this.own(id)]!);
      this.cache.set(id, t);
    }
    return t;
  }

  /** Every id, base first (void excluded). */
  *ids(): IterableIterator<number> {
    for (let id = 1; id < this.typeCount; id++) yield id;
  }

  /** This blob's own ids. */
  *ownIds(): IterableIterator<number> {
    for (let id = this.startId; id < this.typeCount; id++) yield id;
  }

  /**
   * Ids of the types named `name`, base first, optionally of one BTF kind. Names are hashed
   * from the string bytes into a chained table on the first lookup (no strings decoded).
   */
  idsNamed(name: string, kind?: number): number[] {
    const out = this.base ? this.base.idsNamed(name, kind) : [];
    if (name === '') return out;
    const key = Buffer.from(name, 'utf8');
    const { slots, chain } = this.nameIndex();
    const found: number[] = [];
    for (let i = slots[hashKey(key) & (slots.length - 1)]!; i >= 0; i = chain[i]!) {
      if ((kind === undefined || this.kinds[i] === kind) && this.strings.equals(this.nameOffs[i]!, key)) found.push(this.startId + i);
    }
    return out.concat(found.sort((a, b) => a - b));
  }

  private nameIndex(): { slots: Int32Array; chain: Int32Array } {
    if (this.slots && this.chain) return { slots: this.slots, chain: this.chain };
    const n = this.offsets.length;
    let size = 1;
    while (size < n * 2) size <<= 1;
    const slots = new Int32Array(size).fill(-1);
    const chain = new Int32Array(n).fill(-1);
    const strings = this.strings;
    const own = strings.bytes;
    const ownStart = strings.start;
    const mask = size - 1;
    // Equal names share one offset in deduplicated BTF: hash each run of one offset once.
    let lastOff = -1;
    let lastSlot = 0;
    for (let i = n - 1; i >= 0; i--) {
      const off = this.nameOffs[i]!;
      if (off === 0) continue;
      let slot = lastSlot;
      if (off !== lastOff) {
        if (off >= ownStart) {
          let h = 0x811c9dc5;
          for (let k = off - ownStart; own[k] !== 0; k++) h = Math.imul(h ^ own[k]!, 0x01000193);
          slot = (h >>> 0) & mask;
        } else {
          slot = strings.hash(off) & mask;
        }
        lastOff = off;
        lastSlot = slot;
      }
      chain[i] = slots[slot]!;
      slots[slot] = i;
    }
    this.slots = slots;
    this.chain = chain;
    return { slots, chain };
  }
}
