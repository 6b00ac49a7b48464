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
}

export interface OwnedVariable {
  readonly name: string;
  readonly type: TypeRef;
  /** The function a static local belongs to. */
  readonly scope: string | undefined;
}
