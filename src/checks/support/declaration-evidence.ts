import type { Evidence } from '../../findings/index.js';
import type { InterfaceSource } from '../../graph/interfaces.js';
import type { TypeGraph, TypeRef } from '../../graph/type-graph.js';

/**
 * Evidence of the interface checks: where the frozen object's declaration of a type or
 * function was read, and where the new kernel's (a reference object, BTF or DWARF).
 */

/** Where the frozen object's view of an interface comes from. */
export function frozenSide(file: string, graph: TypeGraph, ref: TypeRef): Evidence {
  return { label: 'frozen object', file, section: '.debug_info', location: graph.locate(ref) };
}

/** Where the new kernel's view comes from, naming the source (reference object, BTF, DWARF). */
export function kernelSide(source: InterfaceSource, ref: TypeRef): Evidence {
  return { label: 'new kernel', file: source.graph.source.file, location: source.graph.locate(ref), detail: source.description };
}
