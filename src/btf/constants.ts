/**
 * BTF constants, from the kernel's include/uapi/linux/btf.h and Documentation/bpf/btf.rst.
 * A type record is a 12-byte `struct btf_type` (name_off, info, size/type) followed by
 * kind-specific data whose length depends on the kind and on vlen.
 */

/** The magic as read in the producer's byte order; 0x9feb when read with the other one. */
export const BTF_MAGIC = 0xeb9f;
export const BTF_VERSION = 1;
/** The header this reader knows: magic, version, flags, hdr_len, type_off/len, str_off/len. */
export const BTF_HEADER_SIZE = 24;
export const BTF_TYPE_SIZE = 12;

export const BTF_KIND = {
  UNKN: 0,
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;

export type BtfKindName = Exclude<keyof typeof BTF_KIND, 'UNKN'>;

/** Kind numbers to names, as bpftool prints them. */
export const KIND_NAMES: readonly string[] = [
  'UNKNOWN',
  'INT',
  'PTR',
  'ARRAY',
  'STRUCT',
  'UNION',
  'ENUM',
  'FWD',
  'TYPEDEF',
  'VOLATILE',
  'CONST',
  'RESTRICT',
  'FUNC',
  'FUNC_PROTO',
  'VAR',
  'DATASEC',
  'FLOAT',
  'DECL_TAG',
  'TYPE_TAG',
  'ENUM64',
];

export const MAX_KIND = BTF_KIND.ENUM64;

export function kindName(kind: number): string {
  return KIND_NAMES[kind] ?? `kind ${kind}`;
}

/** INT encoding bits (bits 24..27 of the word after the common header). */
export const BTF_INT_SIGNED = 1 << 0;
export const BTF_INT_CHAR = 1 << 1;
export const BTF_INT_BOOL = 1 << 2;

/** FUNC linkage, held in vlen. */
export const FUNC_LINKAGE = ['static', 'global', 'extern'] as const;
/** VAR linkage, the word after the common header. */
export const VAR_LINKAGE = ['static', 'global', 'extern'] as const;

/**
 * Bytes of kind-specific data after the 12-byte common header; undefined for an unknown kind.
 */
export function extraSize(kind: number, vlen: number): number | undefined {
  switch (kind) {
    case BTF_KIND.INT:
    case BTF_KIND.VAR:
    case BTF_KIND.DECL_TAG:
      return 4;
    case BTF_KIND.PTR:
    case BTF_KIND.FWD:
    case BTF_KIND.TYPEDEF:
    case BTF_KIND.VOLATILE:
    case BTF_KIND.CONST:
    case BTF_KIND.RESTRICT:
    case BTF_KIND.FUNC:
    case BTF_KIND.FLOAT:
    case BTF_KIND.TYPE_TAG:
      return 0;
    case BTF_KIND.ARRAY:
      return 12;
    case BTF_KIND.STRUCT:
    case BTF_KIND.UNION:
    case BTF_KIND.DATASEC:
    case BTF_KIND.ENUM64:
      return vlen * 12;
    case BTF_KIND.ENUM:
    case BTF_KIND.FUNC_PROTO:
      return vlen * 8;
    default:
      return undefined;
  }
}

/** Kinds whose third header word is a type id (the others hold a size, or nothing). */
export function hasTypeField(kind: number): boolean {
  switch (kind) {
    case BTF_KIND.PTR:
    case BTF_KIND.TYPEDEF:
    case BTF_KIND.VOLATILE:
    case BTF_KIND.CONST:
    case BTF_KIND.RESTRICT:
    case BTF_KIND.FUNC:
    case BTF_KIND.FUNC_PROTO:
    case BTF_KIND.VAR:
    case BTF_KIND.DECL_TAG:
    case BTF_KIND.TYPE_TAG:
      return true;
    default:
      return false;
  }
}
