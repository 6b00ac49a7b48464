import type { FunctionDecl, TypeGraph, TypeRef, VariableDecl } from './type-graph.js';

export type NamedKind = 'struct' | 'union' | 'enum' | 'typedef';

/**
 * What one source says about the new kernel's interface: the prototype of a function, the
 * type of a variable, the layout of a named type. Sources, in the order relinkable prefers
 * them: a reference object (the same source compiled in the new tree), vmlinux BTF,
 * vmlinux DWARF. Every finding names the source it used.
 */
export interface InterfaceSource {
  /** "reference object x.o (DWARF)", "vmlinux BTF", "vmlinux DWARF". */
  readonly description: string;
  readonly graph: TypeGraph;
  functionNamed(name: string): FunctionDecl | undefined;
  variableNamed(name: string): VariableDecl | undefined;
  typeNamed(kind: NamedKind, name: string): TypeRef | undefined;
}

/** What a frozen object was compiled against: its own DWARF, or an ABI snapshot of it. */
export interface FrozenInterface {
  readonly graph: TypeGraph;
  /** A function it declares: the prototype it was compiled to call. */
  declaredFunction(name: string): FunctionDecl | undefined;
  /** A function it defines. */
  definedFunction(name: string): FunctionDecl | undefined;
  variableNamed(name: string): VariableDecl | undefined;
  /** Every variable with static storage it defines, function-scope statics included. */
  ownedStorage(): readonly OwnedVariable[];
  typeNamed(kind: NamedKind, name: string): TypeRef | undefined;
  /**
   * Every named struct and union its debug information defines in full, once per compile
   * unit that describes it (what a BTF encoder turns into types); undefined when the source
   * keeps only what the interfaces reach (an ABI snapshot).
   */
  typeDefinitions(): readonly TypeDefinition[] | undefined;
}

/** A named struct or union as one compile unit of a frozen object defines it. */
export interface TypeDefinition {
  readonly kind: 'struct' | 'union';
  readonly name: string;
  readonly ref: TypeRef;
  /** The compile unit that describes it (its DW_AT_name). */
  readonly unit: string | undefined;
  /** Where the source declares it: the file (relative to the source tree when that can be told) and line; undefined when the debug information does not say. */
  readonly declaredAt: { readonly file: string; readonly line: number | undefined } | undefined;
  /** Declared in the unit's own source file, not in a header: no other compile unit describes it. */
  readonly inUnitSource: boolean;
}

export interface OwnedVariable {
  readonly name: string;
  readonly type: TypeRef;
  /** The function a static local belongs to. */
  readonly scope: string | undefined;
}
