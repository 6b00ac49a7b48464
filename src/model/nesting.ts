import { InputError } from '../errors.js';
import { LIMITS, overLimit } from '../limits.js';
import type { TypeGraph, TypeRef } from '../graph/type-graph.js';

/**
 * The error for a type nested past LIMITS.TYPE_NESTING (by value, as declarator or array
 * dimension): named after the file the graph was read from and where the type is described.
 * Only hostile input gets there (a type that holds itself by value, a chain of thousands).
 */
export function nestedTooDeep(graph: TypeGraph, ref: TypeRef, what: string): InputError {
  return new InputError(graph.source.file, overLimit(LIMITS.TYPE_NESTING, `${what} nested too deep at ${graph.locate(ref)}`));
}

/** Whether `depth` (0 at the outermost type) is past LIMITS.TYPE_NESTING. */
export function pastNestingLimit(depth: number): boolean {
  return depth > LIMITS.TYPE_NESTING.value;
}
