import { createTwoFilesPatch } from 'diff';
import type { Evidence } from '../findings/index.js';
import type { InterfaceSource } from '../graph/interface.js';
import type { TypeGraph, TypeRef } from '../graph/type-graph.js';

/** A unified diff of two declarations, frozen object first. */
export function declarationDiff(before: string, after: string): string {
  const patch = createTwoFilesPatch('frozen object', 'new kernel', `${before}\n`, `${after}\n`, undefined, undefined, { context: 3 });
  // Drop the "=====" banner; keep ---/+++ and the hunks.
  return patch.split('\n').filter((l) => !/^=+$/.test(l)).join('\n').trimEnd();
}

/** Where the frozen object's view of an interface comes from. */
export function frozenSide(file: string, graph: TypeGraph, ref: TypeRef): Evidence {
  return { label: 'frozen object', file, section: '.debug_info', location: graph.locate(ref) };
}

/** Where the new kernel's view comes from, naming the source (reference object, BTF, DWARF). */
export function kernelSide(source: InterfaceSource, ref: TypeRef): Evidence {
  return { label: 'new kernel', file: source.graph.source.file, location: source.graph.locate(ref), detail: source.description };
}
