import { resolved, sizeOf, type TypeGraph, type TypeRef } from './type-graph.js';

/**
 * The member path (".base.cra_init", ".ops[2].fn") of the scalar that sits at `bitOffset`
 * inside a value of type `ref`; undefined when the offset is past the type or the graph
 * does not know its layout. A path deeper than `depthLimit` calls `tooDeep` with the type
 * reached (a type that holds itself by value never ends; the caller owns the limit and its
 * error). Anonymous members are stepped through without a name.
 */
export function memberAt(graph: TypeGraph, ref: TypeRef, bitOffset: number, depthLimit: number, tooDeep: (at: TypeRef) => never): string | undefined {
  let path = '';
  let current = ref;
  let offset = bitOffset;
  for (let depth = 0; depth < depthLimit; depth++) {
    const { node } = resolved(graph, current);
    if (node.kind === 'struct' || node.kind === 'union') {
      if (node.size === undefined || offset >= node.size * 8) return undefined;
      let found: { name: string | undefined; type: TypeRef; bitOffset: number } | undefined;
      for (const m of node.members) {
        const size = m.bitSize ?? (sizeOf(graph, m.type) ?? 0) * 8;
        if (offset >= m.bitOffset && offset < m.bitOffset + Math.max(size, 1)) {
          found = m;
          break;
        }
      }
      if (!found) return path || undefined;
      if (found.name) path += `.${found.name}`;
      offset -= found.bitOffset;
      current = found.type;
      continue;
    }
    if (node.kind === 'array') {
      const element = sizeOf(graph, node.element);
      if (!element) return path || undefined;
      const index = Math.floor(offset / (element * 8));
      if (node.count !== undefined && index >= node.count) return undefined;
      path += `[${index}]`;
      offset -= index * element * 8;
      current = node.element;
      continue;
    }
    return path || undefined;
  }
  return tooDeep(current);
}
