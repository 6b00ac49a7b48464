import type { FunctionDecl, TypeRef, VariableDecl } from '../graph/type-graph.js';
import type { InterfaceSource, NamedKind } from '../graph/interfaces.js';
import type { BtfTypeGraph } from './type-graph.js';

/** vmlinux BTF (or any BTF graph): the preferred source after a reference object. */
export class BtfInterface implements InterfaceSource {
  constructor(
    readonly graph: BtfTypeGraph,
    readonly description = 'vmlinux BTF',
  ) {}

  /** The function of that name; a `void (void)` one is left to the next source (it may be an assembler function). */
  functionNamed(name: string): FunctionDecl | undefined {
    return this.graph.prototypedFunctionByName(name);
  }

  variableNamed(name: string): VariableDecl | undefined {
    return this.graph.variableByName(name);
  }

  typeNamed(kind: NamedKind, name: string): TypeRef | undefined {
    return this.graph.typeByName(kind, name)[0];
  }
}
