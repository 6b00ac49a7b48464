import type { Evidence, Site } from '../../findings/index.js';
import type { Reach } from '../../graph/changes.js';
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

/**
 * Where a changed type shows up in the frozen object: each root it is reached from (a
 * function called or defined, a variable imported or owned), with the way it is reached.
 */
export function reachSites(file: string, reaches: readonly Reach[]): Site[] {
  return reaches.map((r) => {
    // The way without the root's own name: "(param 1) ->", ".base.cra_type ->"; nothing when the root is of the type.
    const rest = r.via.startsWith(r.root) ? r.via.slice(r.root.length).replace(/^\./, '') : r.via;
    const way = rest ? `${rest.replace(/ ->\./g, ' -> ')}${r.byValue ? ' (by value)' : ''}` : 'of this type';
    // An owned static is labelled "function: variable" (interface-comparison.ts).
    const local = /^(\S+): (\S+)$/.exec(r.root);
    const symbol = local ? local[2]! : r.root;
    const detail = local ? `static in ${local[1]}, ${way}` : way;
    return { symbol, detail, evidence: [{ label: 'reached', file, symbol, detail: `${r.via}${r.byValue ? ' (by value)' : ''}` }] };
  });
}
