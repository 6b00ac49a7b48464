/**
 * One type model for DWARF and BTF. A reader exposes its types as a TypeGraph: nodes named
 * by an opaque numeric reference, decoded on demand (a vmlinux has hundreds of thousands of
 * types and a check needs a few hundred). Everything a binary interface depends on is here:
 * sizes, signedness, member offsets and bitfields, enumerator values, prototypes.
 */

declare const typeRefBrand: unique symbol;

/**
 * A type inside one graph, opaque outside the reader that made it: a BTF type id, a DIE's
 * offset in .debug_info (biased past it for .debug_types), a snapshot's type number. Branded
 * so that a bare number — a unit offset, a string offset, another graph's id — is never
 * taken for one: only a reader mints TypeRefs (btf/type-graph.ts, dwarf/type-graph.ts,
 * snapshot/read.ts), with typeRef().
 */
export type TypeRef = number & { readonly [typeRefBrand]: 'TypeRef' };

/** Mints a TypeRef from a reader's own number for a type. Only readers call it. */
export function typeRef(n: number): TypeRef {
  return n as TypeRef;
}

export type IntEncoding = 'signed' | 'unsigned' | 'bool' | 'signed-char' | 'unsigned-char';

export interface Member {
  /** undefined for an anonymous struct/union member. */
  readonly name: string | undefined;
  readonly type: TypeRef;
  /** Offset of the member from the start of the enclosing struct, in bits. */
  readonly bitOffset: number;
  /** For a bitfield: its width in bits; undefined for an ordinary member. */
  readonly bitSize: number | undefined;
}

export interface Enumerator {
  readonly name: string;
  readonly value: bigint;
}

export interface Parameter {
  readonly name: string | undefined;
  readonly type: TypeRef;
}

export type TypeNode =
  | { readonly kind: 'void' }
  | { readonly kind: 'int'; readonly name: string; readonly size: number; readonly encoding: IntEncoding }
  | { readonly kind: 'float'; readonly name: string; readonly size: number }
  | { readonly kind: 'pointer'; readonly target: TypeRef }
  /** count undefined: a flexible or unknown-length array. */
  /** `vector`: a short vector type (DW_AT_GNU_vector), which AAPCS64 passes in one V register, not as an array. */
  | { readonly kind: 'array'; readonly element: TypeRef; readonly count: number | undefined; readonly vector?: true }
  | {
      readonly kind: 'struct' | 'union';
      readonly name: string | undefined;
      /** undefined for a declaration (forward reference) whose layout this graph does not hold. */
      readonly size: number | undefined;
      readonly members: readonly Member[];
    }
  | {
      readonly kind: 'enum';
      readonly name: string | undefined;
      readonly size: number;
      readonly signed: boolean;
      readonly values: readonly Enumerator[];
      /** A declaration without enumerators. */
      readonly declaration: boolean;
    }
  | { readonly kind: 'typedef'; readonly name: string; readonly target: TypeRef }
  | { readonly kind: 'qualifier'; readonly qualifier: 'const' | 'volatile' | 'restrict' | 'atomic'; readonly target: TypeRef }
  | {
      readonly kind: 'function';
      readonly returns: TypeRef;
      readonly params: readonly Parameter[];
      readonly variadic: boolean;
      /** false for an unprototyped K&R declaration ("int f()"). */
      readonly prototyped: boolean;
    }
  /** A type the reader could not represent (e.g. a DWARF tag it does not model); carries why. */
  | { readonly kind: 'unknown'; readonly reason: string };

export type TypeKind = TypeNode['kind'];

/** Where a graph's types were read from, for evidence ("vmlinux BTF", "frozen DWARF"). */
export interface TypeSource {
  readonly format: 'dwarf' | 'btf' | 'snapshot';
  readonly file: string;
}

export interface TypeGraph {
  readonly source: TypeSource;
  /** Pointer size in bytes (8 on x86-64 and AArch64 LP64). */
  readonly pointerSize: number;
  node(ref: TypeRef): TypeNode;
  /** Where a type is described, for evidence: "DIE 0x1234 in compile unit crypto/x.c", "BTF id 42". */
  locate(ref: TypeRef): string;
}

/** A function as declared or defined somewhere: a name and a prototype in some graph. */
export interface FunctionDecl {
  readonly name: string;
  readonly graph: TypeGraph;
  /** A 'function' node. */
  readonly type: TypeRef;
  /** Where it was found, for evidence. */
  readonly location: string;
}

export interface VariableDecl {
  readonly name: string;
  readonly graph: TypeGraph;
  readonly type: TypeRef;
  readonly location: string;
}

/** Skips typedefs and qualifiers: the type a value actually has in memory. */
export function resolved(graph: TypeGraph, ref: TypeRef): { ref: TypeRef; node: TypeNode } {
  let node = graph.node(ref);
  for (let hops = 0; (node.kind === 'typedef' || node.kind === 'qualifier') && hops < 64; hops++) {
    ref = node.target;
    node = graph.node(ref);
  }
  return { ref, node };
}

/** Size in bytes of a type, or undefined when the graph does not know it (declaration, flexible array, void, function). */
export function sizeOf(graph: TypeGraph, ref: TypeRef, depth = 0): number | undefined {
  if (depth > 64) return undefined;
  const { node } = resolved(graph, ref);
  switch (node.kind) {
    case 'int':
    case 'float':
    case 'enum':
      return node.size;
    case 'pointer':
      return graph.pointerSize;
    case 'struct':
    case 'union':
      return node.size;
    case 'array': {
      if (node.count === undefined) return undefined;
      const element = sizeOf(graph, node.element, depth + 1);
      return element === undefined ? undefined : element * node.count;
    }
    default:
      return undefined;
  }
}
