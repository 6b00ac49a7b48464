import { InputError } from '../errors.js';
import { BTF_INT_BOOL, BTF_INT_CHAR, BTF_INT_SIGNED, BTF_KIND, FUNC_LINKAGE, VAR_LINKAGE, kindName } from './constants.js';
import { at } from './header.js';
import type { BtfStrings } from './strings.js';

/**
 * Raw BTF types, one shape per kind, as the records say (no interpretation beyond decoding
 * bit fields): what bpftool's `format raw` prints. The model adapter (graph.ts) turns them
 * into TypeNodes.
 */

interface Common {
  readonly id: number;
  /** '' for an anonymous type. */
  readonly name: string;
  readonly nameOff: number;
  readonly kindFlag: boolean;
  readonly vlen: number;
  /** Offset of the record inside the BTF data (for messages). */
  readonly offset: number;
}

export interface BtfMember {
  readonly name: string;
  readonly nameOff: number;
  readonly type: number;
  readonly bitOffset: number;
  /** Bitfield width from a kind_flag struct's offset word; 0 for an ordinary member (or any member without kind_flag). */
  readonly bitfieldSize: number;
}

export interface BtfEnumValue {
  readonly name: string;
  readonly nameOff: number;
  readonly value: bigint;
}

export interface BtfParam {
  readonly name: string;
  readonly nameOff: number;
  readonly type: number;
}

export interface BtfSecinfo {
  readonly type: number;
  readonly offset: number;
  readonly size: number;
}

export type Linkage = 'static' | 'global' | 'extern';

export type BtfType =
  | { readonly kind: 'VOID'; readonly id: 0; readonly name: ''; readonly nameOff: 0; readonly kindFlag: false; readonly vlen: 0; readonly offset: -1 }
  | (Common & {
      readonly kind: 'INT';
      readonly size: number;
      /** The raw encoding bits: BTF_INT_SIGNED | BTF_INT_CHAR | BTF_INT_BOOL. */
      readonly encoding: number;
      readonly signed: boolean;
      readonly char: boolean;
      readonly bool: boolean;
      readonly bitOffset: number;
      readonly bits: number;
    })
  | (Common & { readonly kind: 'PTR' | 'TYPEDEF' | 'VOLATILE' | 'CONST' | 'RESTRICT' | 'TYPE_TAG'; readonly type: number })
  | (Common & { readonly kind: 'ARRAY'; readonly type: number; readonly indexType: number; readonly nelems: number })
  | (Common & { readonly kind: 'STRUCT' | 'UNION'; readonly size: number; readonly members: readonly BtfMember[] })
  | (Common & { readonly kind: 'ENUM' | 'ENUM64'; readonly size: number; readonly signed: boolean; readonly values: readonly BtfEnumValue[] })
  /** kindFlag set: a union forward declaration. */
  | (Common & { readonly kind: 'FWD'; readonly union: boolean })
  | (Common & { readonly kind: 'FUNC'; readonly type: number; readonly linkage: Linkage })
  | (Common & { readonly kind: 'FUNC_PROTO'; readonly returns: number; readonly params: readonly BtfParam[] })
  | (Common & { readonly kind: 'VAR'; readonly type: number; readonly linkage: Linkage })
  | (Common & { readonly kind: 'DATASEC'; readonly size: number; readonly vars: readonly BtfSecinfo[] })
  | (Common & { readonly kind: 'FLOAT'; readonly size: number })
  /** componentIdx -1: the tag applies to the type itself; otherwise to that member or parameter. */
  | (Common & { readonly kind: 'DECL_TAG'; readonly type: number; readonly componentIdx: number });

export type BtfTypeKind = BtfType['kind'];

export const VOID_TYPE: BtfType = { kind: 'VOID', id: 0, name: '', nameOff: 0, kindFlag: false, vlen: 0, offset: -1 };

/** The bytes a decoder reads: the BTF data in its byte order, with its file and strings for messages and names. */
export interface RecordBytes {
  readonly file: string;
  readonly section: string;
  readonly view: DataView;
  readonly littleEndian: boolean;
  readonly strings: BtfStrings;
}

/**
 * Decodes the record of type `id` at `offset`. The index pass (btf.ts) has already checked
 * that the record fits, that its kind is known and that every name offset and type id in it
 * is in range; this checks what only a decoded value shows (INT sizes, linkage values).
 */
export function decodeType(b: RecordBytes, id: number, offset: number): BtfType {
  const le = b.littleEndian;
  const v = b.view;
  const u32 = (o: number): number => v.getUint32(o, le);
  const str = (off: number): string => b.strings.get(off);
  const fail = (problem: string): never => {
    throw new InputError(b.file, `type [${id}] ${kindName(kind)} at ${at(b.section, offset)}: ${problem}`);
  };
  const nameOff = u32(offset);
  const info = u32(offset + 4);
  const sizeOrType = u32(offset + 8);
  const kind = (info >>> 24) & 0x1f;
  const vlen = info & 0xffff;
  const kindFlag = info >>> 31 === 1;
  const common = { id, name: str(nameOff), nameOff, kindFlag, vlen, offset };
  const body = offset + 12;
  switch (kind) {
    case BTF_KIND.INT: {
      const word = u32(body);
      const encoding = (word >>> 24) & 0x0f;
      const bitOffset = (word >>> 16) & 0xff;
      const bits = word & 0xff;
      if (![1, 2, 4, 8, 16].includes(sizeOrType)) fail(`size ${sizeOrType} is not 1, 2, 4, 8 or 16`);
      if (bits === 0 || bitOffset + bits > sizeOrType * 8) fail(`bits_offset ${bitOffset} + nr_bits ${bits} do not fit in ${sizeOrType} bytes`);
      return {
        ...common,
        kind: 'INT',
        size: sizeOrType,
        encoding,
        signed: (encoding & BTF_INT_SIGNED) !== 0,
        char: (encoding & BTF_INT_CHAR) !== 0,
        bool: (encoding & BTF_INT_BOOL) !== 0,
        bitOffset,
        bits,
      };
    }
    case BTF_KIND.PTR:
      return { ...common, kind: 'PTR', type: sizeOrType };
    case BTF_KIND.TYPEDEF:
      return { ...common, kind: 'TYPEDEF', type: sizeOrType };
    case BTF_KIND.VOLATILE:
      return { ...common, kind: 'VOLATILE', type: sizeOrType };
    case BTF_KIND.CONST:
      return { ...common, kind: 'CONST', type: sizeOrType };
    case BTF_KIND.RESTRICT:
      return { ...common, kind: 'RESTRICT', type: sizeOrType };
    case BTF_KIND.TYPE_TAG:
      return { ...common, kind: 'TYPE_TAG', type: sizeOrType };
    case BTF_KIND.ARRAY:
      return { ...common, kind: 'ARRAY', type: u32(body), indexType: u32(body + 4), nelems: u32(body + 8) };
    case BTF_KIND.STRUCT:
    case BTF_KIND.UNION: {
      const members: BtfMember[] = new Array(vlen);
      for (let i = 0; i < vlen; i++) {
        const m = body + i * 12;
        const mName = u32(m);
        const raw = u32(m + 8);
        members[i] = {
          name: str(mName),
          nameOff: mName,
          type: u32(m + 4),
          bitOffset: kindFlag ? raw & 0xffffff : raw,
          bitfieldSize: kindFlag ? raw >>> 24 : 0,
        };
      }
      return { ...common, kind: kind === BTF_KIND.STRUCT ? 'STRUCT' : 'UNION', size: sizeOrType, members };
    }
    case BTF_KIND.ENUM: {
      const values: BtfEnumValue[] = new Array(vlen);
      for (let i = 0; i < vlen; i++) {
        const e = body + i * 8;
        const raw = u32(e + 4);
        values[i] = { name: str(u32(e)), nameOff: u32(e), value: kindFlag ? BigInt(raw | 0) : BigInt(raw) };
      }
      return { ...common, kind: 'ENUM', size: sizeOrType, signed: kindFlag, values };
    }
    case BTF_KIND.ENUM64: {
      const values: BtfEnumValue[] = new Array(vlen);
      for (let i = 0; i < vlen; i++) {
        const e = body + i * 12;
        const raw = (BigInt(u32(e + 8)) << 32n) | BigInt(u32(e + 4));
        values[i] = { name: str(u32(e)), nameOff: u32(e), value: kindFlag ? BigInt.asIntN(64, raw) : raw };
      }
      return { ...common, kind: 'ENUM64', size: sizeOrType, signed: kindFlag, values };
    }
    case BTF_KIND.FWD:
      return { ...common, kind: 'FWD', union: kindFlag };
    case BTF_KIND.FUNC: {
      const linkage = FUNC_LINKAGE[vlen] ?? fail(`linkage ${vlen} is not static (0), global (1) or extern (2)`);
      return { ...common, kind: 'FUNC', type: sizeOrType, linkage };
    }
    case BTF_KIND.FUNC_PROTO: {
      const params: BtfParam[] = new Array(vlen);
      for (let i = 0; i < vlen; i++) {
        const p = body + i * 8;
        params[i] = { name: str(u32(p)), nameOff: u32(p), type: u32(p + 4) };
      }
      return { ...common, kind: 'FUNC_PROTO', returns: sizeOrType, params };
    }
    case BTF_KIND.VAR: {
      const raw = u32(body);
      const linkage = VAR_LINKAGE[raw] ?? fail(`linkage ${raw} is not static (0), global (1) or extern (2)`);
      return { ...common, kind: 'VAR', type: sizeOrType, linkage };
    }
    case BTF_KIND.DATASEC: {
      const vars: BtfSecinfo[] = new Array(vlen);
      for (let i = 0; i < vlen; i++) {
        const s = body + i * 12;
        vars[i] = { type: u32(s), offset: u32(s + 4), size: u32(s + 8) };
      }
      return { ...common, kind: 'DATASEC', size: sizeOrType, vars };
    }
    case BTF_KIND.FLOAT:
      if (![2, 4, 8, 12, 16].includes(sizeOrType)) fail(`size ${sizeOrType} is not 2, 4, 8, 12 or 16`);
      return { ...common, kind: 'FLOAT', size: sizeOrType };
    case BTF_KIND.DECL_TAG:
      return { ...common, kind: 'DECL_TAG', type: sizeOrType, componentIdx: v.getInt32(body, le) };
    default:
      return fail(`unknown kind ${kind}`);
  }
}
