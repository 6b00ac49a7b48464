import { declare } from './cdecl.js';
import { bytes } from './compare.js';
import type { Change, DedupDifference } from '../graph/changes.js';
import type { TypeGraph, TypeNode, TypeRef } from '../graph/type-graph.js';
import { nestedTooDeep, pastNestingLimit } from './nesting.js';

export type { DedupDifference };

/**
 * Whether two descriptions of one type become one BTF type when vmlinux BTF is
 * deduplicated (libbpf's btf__dedup, run by pahole over every compile unit's types; see
 * tools/lib/bpf/btf.c): not compared by layout (model/compare.ts) but as the deduplication
 * compares a candidate type graph with a canonical one (btf_dedup_is_equiv):
 *
 * - a struct or union: its name, kind, size and, member by member in order, name, bit offset
 *   and bitfield size (btf_shallow_equal_struct); then every member's type, recursively;
 * - a typedef, pointer, qualifier: the name or qualifier, then the type it refers to, so a
 *   difference behind any number of pointers still splits the type (`struct file` reaches
 *   `struct task_struct`, and differs when that does);
 * - an int or float: name, size, encoding; an enum: name, size and every enumerator; an
 *   array: its length and element; a function prototype: return and parameter types and
 *   parameter names;
 * - a struct or union only declared on either side (a BTF FWD) matches any struct or union
 *   of its name and kind (FWD resolution), and an enum declaration any enum of its name.
 *
 * Cycles are taken as equal while being compared (a struct pointing to itself), as the
 * deduplication's hypothetical map does. Pairs found equal in a comparison that succeeded,
 * and named types found to differ, are remembered across comparisons of the same two graphs.
 */
export class DedupComparison {
  private readonly equal = new Set<string>();
  private readonly different = new Map<string, Failure>();

  constructor(
    readonly a: TypeGraph,
    readonly b: TypeGraph,
  ) {}

  /** Whether deduplication makes `a` (in graph a) and `b` (in graph b) one type. */
  equivalent(a: TypeRef, b: TypeRef): boolean {
    return this.run(a, b) === undefined;
  }

  /** Where `a` (in graph a) and `b` (in graph b) first differ, fewest steps from them; undefined when deduplication makes them one type. */
  compare(a: TypeRef, b: TypeRef): DedupDifference | undefined {
    const failure = this.run(a, b);
    if (!failure) return undefined;
    const nearest = this.nearest(a, b) ?? failure;
    return { via: render(nearest.via), within: nearest.within, change: nearest.change };
  }

  /**
   * The difference fewest steps away from a pair known to differ (breadth first), so that
   * the evidence says `vm_file->f_path` rather than the first long way a depth-first walk
   * took; undefined if the walk gives up (too many pairs).
   */
  private nearest(rootA: TypeRef, rootB: TypeRef): Failure | undefined {
    interface Node {
      readonly frame: Frame;
      readonly parent: Node | undefined;
    }
    const seen = new Set<string>();
    const queue: Node[] = [];
    const push = (a: TypeRef, b: TypeRef, step: Step | undefined, parent: Node | undefined): Failure | undefined => {
      a = this.skipAtomic(this.a, a);
      b = this.skipAtomic(this.b, b);
      const key = this.key(a, b);
      if (seen.has(key) || this.equal.has(key)) return undefined;
      seen.add(key);
      const na = this.a.node(a);
      const nb = this.b.node(b);
      const frame: Frame = { a, b, key, step, edges: [], next: 0, named: namedAggregate(na) };
      const node: Node = { frame, parent };
      const shallow = this.shallow(a, na, b, nb);
      if ('change' in shallow) {
        const frames: Frame[] = [];
        for (let n: Node | undefined = node; n; n = n.parent) frames.unshift(n.frame);
        return this.explain(frames, shallow.change, shallow.path);
      }
      frame.edges = shallow.edges;
      queue.push(node);
      return undefined;
    };
    let found = push(rootA, rootB, undefined, undefined);
    for (let i = 0; !found && i < queue.length && i < NEAREST_LIMIT; i++) {
      const node = queue[i]!;
      for (const e of node.frame.edges) {
        found = push(e.a, e.b, e.step, node);
        if (found) break;
      }
    }
    return found;
  }

  private key(a: TypeRef, b: TypeRef): string {
    return `${a}:${b}`;
  }

  /** A depth-first walk of both graphs side by side, without recursion (kernel type graphs are deep). */
  private run(rootA: TypeRef, rootB: TypeRef): Failure | undefined {
    const inProgress = new Set<string>();
    const visited: string[] = [];
    const stack: Frame[] = [];

    const enter = (a: TypeRef, b: TypeRef, step: Step | undefined): Failure | undefined => {
      a = this.skipAtomic(this.a, a);
      b = this.skipAtomic(this.b, b);
      const key = this.key(a, b);
      if (this.equal.has(key) || inProgress.has(key)) return undefined;
      const na = this.a.node(a);
      const nb = this.b.node(b);
      const frame: Frame = { a, b, key, step, edges: [], next: 0, named: namedAggregate(na) };
      const known = this.different.get(key);
      if (known) return this.failThrough([...stack, frame], known);
      const shallow = this.shallow(a, na, b, nb);
      if ('change' in shallow) return this.fail([...stack, frame], shallow.change, shallow.path);
      frame.edges = shallow.edges;
      inProgress.add(key);
      visited.push(key);
      stack.push(frame);
      return undefined;
    };

    let failure = enter(rootA, rootB, undefined);
    while (!failure && stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const edge = top.edges[top.next++];
      if (!edge) {
        stack.pop();
        continue;
      }
      failure = enter(edge.a, edge.b, edge.step);
    }
    if (failure) return failure;
    for (const key of visited) this.equal.add(key);
    return undefined;
  }

  /**
   * A difference found at the top of `frames`: said from the nearest named struct, union or
   * enum that holds it, reached from the root through `via`; remembered for every named
   * frame above it (each differs from its counterpart for the same reason).
   */
  private fail(frames: readonly Frame[], change: Change, inner: string): Failure {
    const result = this.explain(frames, change, inner);
    const anchor = result.via.length;
    for (let i = 0; i <= anchor; i++) {
      const f = frames[i]!;
      if (f.named === undefined && i > 0) continue;
      this.different.set(f.key, { via: frames.slice(i + 1, anchor + 1).map((g) => g.step!), within: result.within, change: result.change });
    }
    return result;
  }

  /** A difference at the top of `frames`, said from the nearest named type that holds it. */
  private explain(frames: readonly Frame[], change: Change, inner: string): Failure {
    let anchor = frames.length - 1;
    while (anchor > 0 && frames[anchor]!.named === undefined) anchor--;
    const within = frames[anchor]!.named ?? declare(this.a, frames[anchor]!.a);
    const path = joinPath(render(frames.slice(anchor + 1).map((f) => f.step!)), inner);
    return { via: frames.slice(1, anchor + 1).map((f) => f.step!), within, change: { ...change, path } };
  }

  /** A pair already known to differ, met again at the top of `frames`: the same difference, reached from further up. */
  private failThrough(frames: readonly Frame[], known: Failure): Failure {
    const last = frames.length - 1;
    for (let i = 0; i < last; i++) {
      const f = frames[i]!;
      if (f.named === undefined && i > 0) continue;
      this.different.set(f.key, { via: [...frames.slice(i + 1).map((g) => g.step!), ...known.via], within: known.within, change: known.change });
    }
    return { via: [...frames.slice(1).map((g) => g.step!), ...known.via], within: known.within, change: known.change };
  }

  private skipAtomic(graph: TypeGraph, ref: TypeRef): TypeRef {
    // pahole does not encode _Atomic: the type it qualifies stands in its place.
    for (let hops = 0; hops < 16; hops++) {
      const n = graph.node(ref);
      if (n.kind !== 'qualifier' || n.qualifier !== 'atomic') break;
      ref = n.target;
    }
    return ref;
  }

  /** The two nodes compared without what they refer to: a difference, or the pairs to compare next. */
  private shallow(a: TypeRef, na: TypeNode, b: TypeRef, nb: TypeNode): { change: Change; path: string } | { edges: Edge[] } {
    const same = { edges: [] as Edge[] };
    const change = (kind: Change['kind'], before: string, after: string, path = '') => ({ change: { kind, path: '', before, after }, path });
    // What a reader cannot represent is not taken for a difference.
    if (na.kind === 'unknown' || nb.kind === 'unknown') return same;
    if (na.kind !== nb.kind) {
      if (na.kind === 'qualifier' || nb.kind === 'qualifier') return change('qualifier', declare(this.a, a), declare(this.b, b));
      return change('kind', declare(this.a, a), declare(this.b, b));
    }
    switch (na.kind) {
      case 'void':
        return same;
      case 'int': {
        const o = nb as typeof na;
        if (na.name !== o.name) return change('type-name', na.name, o.name);
        if (na.size !== o.size) return change('int-width', `${na.name} (${na.size} bytes)`, `${o.name} (${o.size} bytes)`);
        if (signed(na.encoding) !== signed(o.encoding) || (na.encoding === 'bool') !== (o.encoding === 'bool')) {
          return change('signedness', `${na.name} (${na.encoding})`, `${o.name} (${o.encoding})`);
        }
        return same;
      }
      case 'float': {
        const o = nb as typeof na;
        if (na.name !== o.name) return change('type-name', na.name, o.name);
        if (na.size !== o.size) return change('float-width', `${na.name} (${na.size} bytes)`, `${o.name} (${o.size} bytes)`);
        return same;
      }
      case 'pointer':
        return { edges: [{ a: na.target, b: (nb as typeof na).target, step: { kind: 'pointer' } }] };
      case 'typedef': {
        const o = nb as typeof na;
        if (na.name !== o.name) return change('type-name', na.name, o.name);
        return { edges: [{ a: na.target, b: o.target, step: { kind: 'through' } }] };
      }
      case 'qualifier': {
        const o = nb as typeof na;
        if (na.qualifier !== o.qualifier) return change('qualifier', declare(this.a, a), declare(this.b, b));
        return { edges: [{ a: na.target, b: o.target, step: { kind: 'through' } }] };
      }
      case 'array': {
        // pahole writes `long tags[3][1]` as one array of 3 longs; a flexible array member has no bound in DWARF and 0 elements in BTF.
        const fa = flatten(this.a, na);
        const fb = flatten(this.b, nb as typeof na);
        if (fa.count !== fb.count) return change('array-length', String(fa.count), String(fb.count));
        return { edges: [{ a: fa.element, b: fb.element, step: { kind: 'element' } }] };
      }
      case 'enum': {
        const o = nb as typeof na;
        if ((na.name ?? '') !== (o.name ?? '')) return change('type-name', declare(this.a, a), declare(this.b, b));
        if (na.declaration || o.declaration) return same;
        if (na.size !== o.size) return change('size', String(na.size), String(o.size));
        const n = Math.min(na.values.length, o.values.length);
        const bits = na.size * 8;
        for (let i = 0; i < n; i++) {
          const x = na.values[i]!;
          const y = o.values[i]!;
          if (x.name !== y.name) {
            return o.values.some((v) => v.name === x.name)
              ? change('enumerator-added', y.name, String(y.value), y.name)
              : change('enumerator-removed', String(x.value), 'removed', x.name);
          }
          if (BigInt.asUintN(bits, x.value) !== BigInt.asUintN(bits, y.value)) return change('enumerator-value', String(x.value), String(y.value), x.name);
        }
        if (na.values.length > n) return change('enumerator-removed', String(na.values[n]!.value), 'removed', na.values[n]!.name);
        if (o.values.length > n) return change('enumerator-added', 'absent', String(o.values[n]!.value), o.values[n]!.name);
        return same;
      }
      case 'struct':
      case 'union': {
        const o = nb as typeof na;
        if ((na.name ?? '') !== (o.name ?? '')) return change('type-name', declare(this.a, a), declare(this.b, b));
        // A declaration on either side is a FWD: it resolves to the struct or union of its name.
        if (na.size === undefined || o.size === undefined) return same;
        const n = Math.min(na.members.length, o.members.length);
        for (let i = 0; i < n; i++) {
          const x = na.members[i]!;
          const y = o.members[i]!;
          const xn = x.name ?? '';
          const yn = y.name ?? '';
          if (xn !== yn) {
            const label = (name: string) => name || '(anonymous)';
            const added = !na.members.some((m) => (m.name ?? '') === yn);
            const removed = !o.members.some((m) => (m.name ?? '') === xn);
            if (added && removed) return change('member-name', `${label(xn)} at ${bytes(x.bitOffset)}`, `${label(yn)} at ${bytes(y.bitOffset)}`);
            if (added) return change('member-added', 'absent', `at ${bytes(y.bitOffset)}`, label(yn));
            if (removed) return change('member-removed', `at ${bytes(x.bitOffset)}`, 'removed', label(xn));
            return change('member-name', `${label(xn)} at ${bytes(x.bitOffset)}`, `${label(yn)} at ${bytes(y.bitOffset)}`);
          }
          if (x.bitOffset !== y.bitOffset) return change('member-offset', bytes(x.bitOffset), bytes(y.bitOffset), xn || `(member ${i + 1})`);
          if (x.bitSize !== y.bitSize) {
            const bits = (s: number | undefined) => (s === undefined ? 'not a bitfield' : `${s} bits`);
            return change('member-bitfield', bits(x.bitSize), bits(y.bitSize), xn || `(member ${i + 1})`);
          }
        }
        if (na.members.length > n) return change('member-removed', `at ${bytes(na.members[n]!.bitOffset)}`, 'removed', na.members[n]!.name ?? `(member ${n + 1})`);
        if (o.members.length > n) return change('member-added', 'absent', `at ${bytes(o.members[n]!.bitOffset)}`, o.members[n]!.name ?? `(member ${n + 1})`);
        if (na.size !== o.size) return change('size', String(na.size), String(o.size));
        // An anonymous struct or union member is not named in C: its members are reached as the outer type's.
        return { edges: na.members.map((m, i) => ({ a: m.type, b: o.members[i]!.type, step: m.name === undefined ? { kind: 'through' } : { kind: 'member', name: m.name } })) };
      }
      case 'function': {
        const o = nb as typeof na;
        if (na.params.length !== o.params.length) return change('param-count', String(na.params.length), String(o.params.length));
        if (na.variadic !== o.variadic) return change('variadic', na.variadic ? 'variadic' : 'fixed', o.variadic ? 'variadic' : 'fixed');
        for (let i = 0; i < na.params.length; i++) {
          const x = na.params[i]!.name ?? '';
          const y = o.params[i]!.name ?? '';
          if (x !== y) return change('param-name', x || '(unnamed)', y || '(unnamed)', `(param ${i + 1})`);
        }
        return {
          edges: [
            { a: na.returns, b: o.returns, step: { kind: 'return' } },
            ...na.params.map((p, i) => ({ a: p.type, b: o.params[i]!.type, step: { kind: 'param', index: i + 1 } as Step })),
          ],
        };
      }
    }
  }
}

/** How many type pairs the search for the nearest difference looks at before it settles for the first one found. */
const NEAREST_LIMIT = 200_000;

type Step = { kind: 'member'; name: string } | { kind: 'pointer' } | { kind: 'element' } | { kind: 'through' } | { kind: 'return' } | { kind: 'param'; index: number };

interface Edge {
  readonly a: TypeRef;
  readonly b: TypeRef;
  readonly step: Step;
}

interface Frame {
  readonly a: TypeRef;
  readonly b: TypeRef;
  readonly key: string;
  /** How the parent frame reached this one; undefined for the root. */
  readonly step: Step | undefined;
  edges: Edge[];
  next: number;
  /** "struct task_struct" when this frame is a named struct, union or enum. */
  readonly named: string | undefined;
}

interface Failure {
  readonly via: readonly Step[];
  readonly within: string;
  readonly change: Change;
}

function namedAggregate(n: TypeNode): string | undefined {
  return (n.kind === 'struct' || n.kind === 'union' || n.kind === 'enum') && n.name ? `${n.kind} ${n.name}` : undefined;
}

/** An array of arrays as one array of the innermost elements (what pahole encodes for a multi-dimensional C array). */
function flatten(graph: TypeGraph, node: Extract<TypeNode, { kind: 'array' }>): { count: number; element: TypeRef } {
  let count = node.count ?? 0;
  let element = node.element;
  for (let depth = 1; ; depth++) {
    const inner = graph.node(element);
    if (inner.kind !== 'array') break;
    if (pastNestingLimit(depth)) throw nestedTooDeep(graph, element, 'array dimension');
    count *= inner.count ?? 0;
    element = inner.element;
  }
  return { count, element };
}

function signed(encoding: string): boolean {
  return encoding === 'signed' || encoding === 'signed-char';
}

/** Steps said in C: a member by value `.m`, through a pointer `->m`, an element `[]`, a parameter `(param 2)`. */
function render(steps: readonly Step[]): string {
  let out = '';
  let deref = false;
  for (const s of steps) {
    switch (s.kind) {
      case 'member':
        out += out === '' && !deref ? s.name : `${deref ? '->' : '.'}${s.name}`;
        deref = false;
        break;
      case 'pointer':
        if (deref) out += '[0]';
        deref = true;
        break;
      case 'element':
        out += '[]';
        deref = false;
        break;
      case 'return':
        out += '(return)';
        deref = false;
        break;
      case 'param':
        out += `(param ${s.index})`;
        deref = false;
        break;
      case 'through':
        break;
    }
  }
  return out;
}

function joinPath(outer: string, inner: string): string {
  if (!outer) return inner;
  if (!inner) return outer;
  return inner.startsWith('(') ? `${outer}${inner}` : `${outer}.${inner}`;
}
