import type { TypeRef } from './type-graph.js';

/** How two graphs' views of one type differ (model/compare.ts computes them; findings carry them as data). */

export type ChangeKind =
  | 'kind'
  | 'size'
  | 'int-width'
  | 'signedness'
  /** Plain `char` changed signedness (v6.2 builds with -funsigned-char): one build-wide change, not per type. */
  | 'char-signedness'
  | 'float-width'
  | 'array-length'
  | 'member-offset'
  | 'member-bitfield'
  | 'member-removed'
  | 'member-added'
  | 'enumerator-value'
  | 'enumerator-removed'
  | 'enumerator-added'
  | 'param-count'
  | 'variadic'
  | 'declaration-only'
  /** A member in the same place under another name (BTF deduplication compares names too). */
  | 'member-name'
  /** Another typedef or base-type name for the same place (`u32` for `unsigned int`). */
  | 'type-name'
  /** A const, volatile or restrict added or removed. */
  | 'qualifier'
  | 'param-name';

export interface Change {
  readonly kind: ChangeKind;
  /** Where inside the type: "flags", "ops.generate(param 2)", "" for the type itself. */
  readonly path: string;
  readonly before: string;
  readonly after: string;
}

export interface Reach {
  /** Pointer hops from a root (0: the root itself or by value inside it). */
  readonly depth: number;
  /** Reached without any pointer: a by-value parameter, return, owned variable, embedded member. */
  readonly byValue: boolean;
  /** How: "param 1 of ___ratelimit -> struct ratelimit_state". */
  readonly via: string;
  /** The root it was reached from. */
  readonly root: string;
}

/**
 * Where a frozen object's description of a type and the new kernel's first differ, compared
 * as BTF deduplication compares them (model/btf-dedup.ts): every name, qualifier, member and
 * referenced type counts, through pointers too.
 */
export interface DedupDifference {
  /** From the compared type to the type that differs, in C: "f_cred->user", "" at the type itself. */
  readonly via: string;
  /** The named type in which they differ: "struct user_struct"; the compared type itself when `via` is "". */
  readonly within: string;
  readonly change: Change;
}

/** The changes of one named aggregate (or of a root prototype), and how it is reached. */
export interface TypeDelta {
  /** "struct ratelimit_state", "enum pid_type", or a root's label. */
  readonly name: string;
  readonly before: TypeRef;
  readonly after: TypeRef;
  readonly changes: readonly Change[];
  readonly reach: Reach;
}

/**
 * How many pointer hops from a root the closure is followed. Rank 3 (the deeper closure,
 * for a human) starts at two hops; beyond three nothing the object does is plausibly tied to
 * a layout, and an ABI snapshot stores types only this far, so object and snapshot agree.
 */
export const CLOSURE_HOPS = 3;

/** How a frozen object meets a changed type, most direct first: the rank of its finding. */
export type Exposure = 'owned' | 'by-value' | 'pointer' | 'closure';

/** One machine-level difference between how callers pass the old and the new prototype's arguments (model/abi.ts finds them). */
export interface CallDifference {
  /** "argument 2", "the result", "argument count". */
  readonly what: string;
  readonly before: string;
  readonly after: string;
  /** 'moved': another register or stack slot; 'width': same place, other size; 'count': arguments added or removed; 'variadic'. */
  readonly kind: 'moved' | 'width' | 'count' | 'variadic' | 'aggregate';
}
