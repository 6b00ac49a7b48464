import type { TypeGraph, TypeRef } from '../src/graph/type-graph.js';

/** Every type reachable from `roots`, each asked of the graph once: what a comparison would read. */
export function walkTypes(graph: TypeGraph, roots: Iterable<TypeRef>): number {
  const seen = new Set<TypeRef>();
  const todo = [...roots];
  while (todo.length > 0) {
    const ref = todo.pop()!;
    if (seen.has(ref)) continue;
    seen.add(ref);
    graph.locate(ref);
    const node = graph.node(ref);
    switch (node.kind) {
      case 'pointer':
      case 'typedef':
      case 'qualifier':
        todo.push(node.target);
        break;
      case 'array':
        todo.push(node.element);
        break;
      case 'struct':
      case 'union':
        for (const m of node.members) todo.push(m.type);
        break;
      case 'function':
        todo.push(node.returns, ...node.params.map((p) => p.type));
        break;
      default:
        break;
    }
  }
  return seen.size;
}
