import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { caught } from '../support/input-error.js';
import { EM_X86_64 } from '../../src/elf/constants.js';
import { memberAt } from '../../src/graph/members.js';
import { typeRef, type TypeGraph, type TypeNode, type TypeRef } from '../../src/graph/type-graph.js';
import { LIMITS } from '../../src/limits.js';
import { callLayout } from '../../src/model/abi.js';
import { DedupComparison } from '../../src/model/btf-dedup.js';
import { declare } from '../../src/model/cdecl.js';
import { ClosureComparison } from '../../src/model/compare.js';

/**
 * Issue 13, a leftover: the type model's depth bounds (comparison 16, C declarations 32, the
 * calling-convention classifier 16, array dimensions 16) were constants of their own modules
 * that stopped quietly — a comparison cut short, a "/* too deep *\/" declaration, an argument
 * put in memory. Now one limit, TYPE_NESTING, and input past it is an InputError naming it.
 */

const LIMIT = LIMITS.TYPE_NESTING.value;

/** A graph from plain nodes (id 1 a long), as a reader would give it for hostile.o. */
function graph(nodes: Map<number, TypeNode>): TypeGraph {
  nodes.set(1, { kind: 'int', name: 'long', size: 8, encoding: 'signed' });
  return {
    source: { format: 'dwarf', file: 'hostile.o' },
    pointerSize: 8,
    node: (ref: TypeRef) => (ref === 0 ? { kind: 'void' } : nodes.get(ref)!),
    locate: (ref: TypeRef) => `#${ref}`,
  } as unknown as TypeGraph;
}

/** Ids 2…n+1: each wraps the next (the last wraps the long); `wrap` makes one level. */
function chain(n: number, wrap: (inner: TypeRef) => TypeNode): Map<number, TypeNode> {
  const nodes = new Map<number, TypeNode>();
  for (let i = 0; i < n; i++) nodes.set(2 + i, wrap(typeRef(i === n - 1 ? 1 : 3 + i)));
  return nodes;
}

const pointer = (target: TypeRef): TypeNode => ({ kind: 'pointer', target });
const struct = (inner: TypeRef): TypeNode => ({ kind: 'struct', name: undefined, size: 8, members: [{ name: 'm', type: inner, bitOffset: 0, bitSize: undefined }] });
const array = (element: TypeRef): TypeNode => ({ kind: 'array', element, count: 1 });

describe(`types nested past TYPE_NESTING (${LIMIT} levels)`, () => {
  it('a C declaration: a pointer to a pointer … 100 deep is an error at the 65th (was "/* too deep */")', () => {
    const g = graph(chain(100, pointer));
    expect(caught(() => declare(g, typeRef(2), 'p')).message).toBe(`hostile.o: declarator nested too deep at #${2 + LIMIT + 1}: more than ${LIMIT} levels, over the limit TYPE_NESTING (${LIMIT})`);
    // At the limit, still declared.
    expect(declare(graph(chain(LIMIT, pointer)), typeRef(2), 'p')).toBe(`long ${'*'.repeat(LIMIT)}p`);
  });

  it('the calling-convention classifier: a struct in a struct … 100 deep (8 bytes) is an error (was: memory)', () => {
    const nodes = chain(100, struct);
    nodes.set(200, { kind: 'function', returns: typeRef(0), params: [{ name: 's', type: typeRef(2) }], variadic: false, prototyped: true });
    expect(caught(() => callLayout(graph(nodes), typeRef(200), EM_X86_64)).message).toBe(`hostile.o: argument type nested too deep at #${2 + LIMIT + 1}: more than ${LIMIT} levels, over the limit TYPE_NESTING (${LIMIT})`);
    const shallow = chain(LIMIT, struct);
    shallow.set(200, { kind: 'function', returns: typeRef(0), params: [{ name: 's', type: typeRef(2) }], variadic: false, prototyped: true });
    expect(callLayout(graph(shallow), typeRef(200), EM_X86_64)!.args.map((a) => a.where)).toEqual(['rdi']);
  });

  it('the layout comparison: a struct in a struct … 100 deep on both sides is an error (was: compared 16 deep, the rest unseen)', () => {
    const a = graph(chain(100, struct));
    const b = graph(chain(100, struct));
    const e = caught(() => new ClosureComparison(a, b).run([{ label: 'x', before: typeRef(2), after: typeRef(2), owned: true }]));
    expect(e.message).toBe(`hostile.o: type nested too deep by value (at ${Array(LIMIT + 1).fill('m').join('.')}): more than ${LIMIT} levels, over the limit TYPE_NESTING (${LIMIT})`);
  });

  it('array dimensions: an array of arrays … 100 deep is an error (was: flattened 16 deep)', () => {
    const a = graph(chain(100, array));
    const b = graph(chain(100, array));
    expect(caught(() => new DedupComparison(a, b).compare(typeRef(2), typeRef(2))).message).toBe(`hostile.o: array dimension nested too deep at #${2 + LIMIT + 1}: more than ${LIMIT} levels, over the limit TYPE_NESTING (${LIMIT})`);
  });

  it('the member path a function pointer is stored at: a struct in a struct … 100 deep calls the caller\'s limit (was: a path cut at 32 levels)', () => {
    const g = graph(chain(100, struct));
    const tooDeep = (at: TypeRef): never => {
      throw new InputError('hostile.o', `too deep at ${g.locate(at)}`);
    };
    expect(caught(() => memberAt(g, typeRef(2), 0, LIMIT, tooDeep)).message).toBe(`hostile.o: too deep at #${2 + LIMIT}`);
    expect(memberAt(graph(chain(LIMIT - 1, struct)), typeRef(2), 0, LIMIT, tooDeep)).toBe(`.m`.repeat(LIMIT - 1));
  });
});
