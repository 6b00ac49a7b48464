import { describe, expect, it } from 'vitest';
import { DedupComparison } from '../../src/model/btf-dedup.js';
import { ClosureComparison } from '../../src/model/compare.js';
import { typeRef, type TypeGraph, type TypeNode } from '../../src/graph/type-graph.js';

/** A type graph from plain data: node n is nodes[n] (0 is void). */
function graph(nodes: Record<number, TypeNode>): TypeGraph {
  return {
    source: { format: 'btf', file: 'plain' },
    pointerSize: 8,
    node: (ref) => (ref === 0 ? { kind: 'void' } : (nodes[ref] ?? { kind: 'unknown', reason: `no node ${ref}` })),
    locate: (ref) => `node ${ref}`,
  };
}

const r = typeRef;
const INT: TypeNode = { kind: 'int', name: 'int', size: 4, encoding: 'signed' };
const UINT: TypeNode = { kind: 'int', name: 'unsigned int', size: 4, encoding: 'unsigned' };
const ULONG: TypeNode = { kind: 'int', name: 'long unsigned int', size: 8, encoding: 'unsigned' };
const member = (name: string | undefined, type: number, byteOffset: number, bitSize?: number) => ({ name, type: r(type), bitOffset: byteOffset * 8, bitSize });
const struct = (name: string | undefined, size: number | undefined, members: ReturnType<typeof member>[]): TypeNode => ({ kind: 'struct', name, size, members });
const ptr = (target: number): TypeNode => ({ kind: 'pointer', target: r(target) });

/**
 * The kernel's shape in miniature: struct file points to struct cred, which points to
 * struct user_struct; 6.1.192 renamed user_struct's locked_vm to perf_mlock.
 */
function kernels(userStructMembers: { old: string; now: string }) {
  const common = (lockedVm: string): Record<number, TypeNode> => ({
    1: INT,
    2: ULONG,
    10: struct('file', 16, [member('f_count', 1, 0), member('f_cred', 11, 8)]),
    11: ptr(12),
    12: struct('cred', 8, [member('user', 13, 0)]),
    13: ptr(14),
    14: struct('user_struct', 16, [member('count', 1, 0), member(lockedVm, 2, 8)]),
  });
  return { frozen: graph(common(userStructMembers.old)), kernel: graph(common(userStructMembers.now)) };
}

describe('types compared as BTF deduplication compares them (libbpf btf_dedup_is_equiv)', () => {
  it('the same graph is one type', () => {
    const { frozen, kernel } = kernels({ old: 'locked_vm', now: 'locked_vm' });
    const c = new DedupComparison(frozen, kernel);
    expect(c.equivalent(r(10), r(10))).toBe(true);
    expect(c.compare(r(10), r(10))).toBeUndefined();
  });

  it('a member renamed two pointers away splits the struct that reaches it, and says where', () => {
    const { frozen, kernel } = kernels({ old: 'locked_vm', now: 'perf_mlock' });
    const c = new DedupComparison(frozen, kernel);
    expect(c.compare(r(10), r(10))).toEqual({
      via: 'f_cred->user',
      within: 'struct user_struct',
      change: { kind: 'member-name', path: '', before: 'locked_vm at 8', after: 'perf_mlock at 8' },
    });
    expect(c.compare(r(12), r(12))).toMatchObject({ via: 'user', within: 'struct user_struct' });
    expect(c.compare(r(14), r(14))).toMatchObject({ via: '', within: 'struct user_struct' });
  });

  it('a struct only declared on one side (a FWD) matches the definition of its name, whatever its members', () => {
    const { kernel } = kernels({ old: 'locked_vm', now: 'perf_mlock' });
    const frozen = graph({ 1: INT, 10: struct('file', 16, [member('f_count', 1, 0), member('f_cred', 11, 8)]), 11: ptr(12), 12: struct('cred', undefined, []) });
    expect(new DedupComparison(frozen, kernel).equivalent(r(10), r(10))).toBe(true);
    expect(new DedupComparison(kernel, frozen).equivalent(r(10), r(10))).toBe(true);
    // Not a union of that name, though.
    const union = graph({ 1: INT, 10: struct('file', 16, [member('f_count', 1, 0), member('f_cred', 11, 8)]), 11: ptr(12), 12: { kind: 'union', name: 'cred', size: undefined, members: [] } });
    expect(new DedupComparison(union, kernel).compare(r(10), r(10))).toMatchObject({ via: 'f_cred', change: { kind: 'kind' } });
  });

  it('names count: a typedef for the same int, a const added, a parameter name', () => {
    const base: Record<number, TypeNode> = { 1: UINT, 2: { kind: 'typedef', name: 'u32', target: r(1) }, 3: { kind: 'qualifier', qualifier: 'const', target: r(1) } };
    const a = graph({ ...base, 10: struct('s', 4, [member('flags', 1, 0)]) });
    const typedef = graph({ ...base, 10: struct('s', 4, [member('flags', 2, 0)]) });
    const constant = graph({ ...base, 10: struct('s', 4, [member('flags', 3, 0)]) });
    expect(new DedupComparison(a, typedef).compare(r(10), r(10))).toEqual({ via: '', within: 'struct s', change: { kind: 'kind', path: 'flags', before: 'unsigned int', after: 'u32' } });
    expect(new DedupComparison(a, constant).compare(r(10), r(10))).toMatchObject({ change: { kind: 'qualifier', path: 'flags' } });
    // The layout comparison sees nothing there: the offset, size and signedness are the same.
    expect(new ClosureComparison(a, typedef).run([{ label: 's', before: r(10), after: r(10), owned: true }])).toEqual([]);
    const fn = (name: string | undefined): Record<number, TypeNode> => ({ 1: INT, 4: { kind: 'function', returns: r(1), params: [{ name, type: r(1) }], variadic: false, prototyped: true }, 5: ptr(4), 10: struct('ops', 8, [member('cb', 5, 0)]) });
    expect(new DedupComparison(graph(fn(undefined)), graph(fn('x'))).compare(r(10), r(10))).toMatchObject({ change: { kind: 'param-name', path: 'cb(param 1)' } });
  });

  it('members: added in the middle, moved, a bitfield, the size', () => {
    const a = graph({ 1: UINT, 10: struct('t', 8, [member('a', 1, 0, 1), member('b', 1, 0)]) });
    const added = graph({ 1: UINT, 10: struct('t', 8, [member('a', 1, 0, 1), member('new', 1, 0), member('b', 1, 0)]) });
    const moved = graph({ 1: UINT, 10: struct('t', 8, [member('a', 1, 0, 1), member('b', 1, 4)]) });
    const wider = graph({ 1: UINT, 10: struct('t', 8, [member('a', 1, 0, 2), member('b', 1, 0)]) });
    const bigger = graph({ 1: UINT, 10: struct('t', 16, [member('a', 1, 0, 1), member('b', 1, 0)]) });
    expect(new DedupComparison(a, added).compare(r(10), r(10))!.change).toEqual({ kind: 'member-added', path: 'new', before: 'absent', after: 'at 0' });
    expect(new DedupComparison(a, moved).compare(r(10), r(10))!.change).toEqual({ kind: 'member-offset', path: 'b', before: '0', after: '4' });
    expect(new DedupComparison(a, wider).compare(r(10), r(10))!.change).toEqual({ kind: 'member-bitfield', path: 'a', before: '1 bits', after: '2 bits' });
    expect(new DedupComparison(a, bigger).compare(r(10), r(10))!.change).toEqual({ kind: 'size', path: '', before: '8', after: '16' });
  });

  it('a struct that points to itself is compared once (cycles are taken as equal), and still differs when it does', () => {
    const list = (second: string) => graph({ 10: struct('list_head', 16, [member('next', 11, 0), member(second, 11, 8)]), 11: ptr(10) });
    expect(new DedupComparison(list('prev'), list('prev')).equivalent(r(10), r(10))).toBe(true);
    expect(new DedupComparison(list('prev'), list('back')).compare(r(10), r(10))!.change.kind).toBe('member-name');
  });

  it('a two-dimensional array is the one flat array pahole writes; a flexible array has 0 elements', () => {
    const dwarf = graph({ 2: ULONG, 20: { kind: 'array', element: r(21), count: 3 }, 21: { kind: 'array', element: r(2), count: 1 }, 22: { kind: 'array', element: r(2), count: undefined }, 10: struct('xa_node', 24, [member('tags', 20, 0), member('rest', 22, 24)]) });
    const btf = graph({ 2: ULONG, 20: { kind: 'array', element: r(2), count: 3 }, 22: { kind: 'array', element: r(2), count: 0 }, 10: struct('xa_node', 24, [member('tags', 20, 0), member('rest', 22, 24)]) });
    expect(new DedupComparison(dwarf, btf).equivalent(r(10), r(10))).toBe(true);
  });

  it('enums: an enum declaration matches any enum of its name; an enumerator value does not', () => {
    const e = (values: [string, bigint][], declaration = false): TypeNode => ({ kind: 'enum', name: 'mode', size: 4, signed: false, declaration, values: values.map(([name, value]) => ({ name, value })) });
    const s = (en: TypeNode) => graph({ 5: en, 10: struct('s', 4, [member('m', 5, 0)]) });
    expect(new DedupComparison(s(e([], true)), s(e([['A', 0n]]))).equivalent(r(10), r(10))).toBe(true);
    expect(new DedupComparison(s(e([['A', 0n]])), s(e([['A', 1n]]))).compare(r(10), r(10))).toMatchObject({ via: 'm', within: 'enum mode', change: { kind: 'enumerator-value', path: 'A' } });
  });

  it('the difference it names is the nearest one: the short way, not the first long one', () => {
    // struct a { struct b *long_way; struct c *short_way; }: b reaches c two pointers further.
    const nodes = (cField: string): Record<number, TypeNode> => ({
      1: INT,
      10: struct('a', 16, [member('long_way', 11, 0), member('short_way', 13, 8)]),
      11: ptr(12),
      12: struct('b', 8, [member('next', 15, 0)]),
      15: ptr(16),
      16: struct('d', 8, [member('c', 13, 0)]),
      13: ptr(14),
      14: struct('c', 4, [member(cField, 1, 0)]),
    });
    const c = new DedupComparison(graph(nodes('x')), graph(nodes('y')));
    expect(c.compare(r(10), r(10))).toMatchObject({ via: 'short_way', within: 'struct c' });
    expect(c.compare(r(12), r(12))).toMatchObject({ via: 'next->c', within: 'struct c' });
    // Remembered answers agree with fresh ones.
    expect(c.equivalent(r(16), r(16))).toBe(false);
    expect(new DedupComparison(graph(nodes('x')), graph(nodes('y'))).compare(r(16), r(16))).toEqual(c.compare(r(16), r(16)));
  });

  it('anonymous members are not named in the path (C reaches their members directly)', () => {
    const nodes = (last: string): Record<number, TypeNode> => ({
      1: INT,
      10: struct('page', 8, [member(undefined, 11, 0)]),
      11: { kind: 'union', name: undefined, size: 8, members: [member('mapping', 12, 0)] },
      12: ptr(13),
      13: struct('address_space', 4, [member(last, 1, 0)]),
    });
    expect(new DedupComparison(graph(nodes('host')), graph(nodes('owner'))).compare(r(10), r(10))).toMatchObject({ via: 'mapping', within: 'struct address_space' });
  });
});
