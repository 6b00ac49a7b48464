import { declare } from './cdecl.js';
import { InputError } from '../errors.js';
import { LIMITS, overLimit } from '../limits.js';
import { CLOSURE_HOPS, type Change, type ChangeKind, type Reach, type TypeDelta } from '../graph/changes.js';
import { resolved, sizeOf, type Member, type TypeGraph, type TypeNode, type TypeRef } from '../graph/type-graph.js';

export type { Change, ChangeKind, Reach, TypeDelta };

/**
 * Compares the types two graphs give the same interface (an old object's DWARF and a new
 * kernel's BTF, say) by layout: what a compiled caller or callee depends on. Typedef names,
 * qualifiers and parameter names do not count; sizes, offsets, bitfields, signedness,
 * enumerator values and the shape of prototypes do.
 *
 * The closure is walked breadth-first from the roots, so each named struct, union or enum
 * is compared once, with the shortest way it is reached (pointer hops, by value or not):
 * that is what ranks a change. Pairs already compared are not compared again, which also
 * ends cycles (a struct that points to itself).
 */

export interface Root {
  readonly label: string;
  readonly before: TypeRef;
  readonly after: TypeRef;
  /** The root is storage the object owns (a variable), not an interface it calls. */
  readonly owned: boolean;
}

/** A type pair one level deep: its own changes, and the pairs it leads to. */
interface PairResult {
  readonly changes: readonly Change[];
  readonly edges: readonly Edge[];
}

interface Edge {
  readonly a: TypeRef;
  readonly b: TypeRef;
  /** Through a pointer (one hop more), or held by value. */
  readonly pointer: boolean;
  readonly path: string;
}

/**
 * Results of comparing type pairs, shareable between comparisons over the same two graphs
 * (comparing every export of two kernels compares struct task_struct once, not 10,000 times).
 */
export type PairCache = Map<string, PairResult>;

interface Pending {
  readonly a: TypeRef;
  readonly b: TypeRef;
  readonly reach: Reach;
  /** Set on a root: its label names the delta when the root is not a named aggregate (a prototype). */
  readonly root?: string;
}


export class ClosureComparison {
  private readonly seen = new Set<string>();
  private readonly queue: Pending[] = [];
  readonly deltas: TypeDelta[] = [];
  /** Named aggregates seen on both sides, with their reach, changed or not. */
  readonly compared: { name: string; reach: Reach }[] = [];

  constructor(
    readonly a: TypeGraph,
    readonly b: TypeGraph,
    private readonly cache: PairCache = new Map(),
    /** Pointer hops to follow from a root; more only for studies of the whole closure. */
    private readonly hops: number = CLOSURE_HOPS,
  ) {}

  /** Compares from the roots; returns the deltas (only those with changes). */
  run(roots: readonly Root[]): TypeDelta[] {
    for (const root of roots) {
      this.queue.push({ a: root.before, b: root.after, reach: { depth: 0, byValue: true, via: root.label, root: root.label }, root: root.label });
    }
    // Breadth-first by depth: the first time an aggregate is met is its shortest reach.
    for (let i = 0; i < this.queue.length; i++) this.visit(this.queue[i]!);
    return this.deltas;
  }

  private key(a: TypeRef, b: TypeRef): string {
    return `${a}:${b}`;
  }

  private enqueue(a: TypeRef, b: TypeRef, reach: Reach): void {
    if (!this.seen.has(this.key(a, b))) this.queue.push({ a, b, reach });
  }

  private visit(item: Pending): void {
    const k = this.key(item.a, item.b);
    if (this.seen.has(k)) return;
    this.seen.add(k);
    const ra = resolved(this.a, item.a);
    // The object never saw a declared type's layout, so nothing of the new one matters: it is
    // not even looked up (a DWARF source would search the whole vmlinux for its definition).
    if (isDeclaration(ra.node)) return;
    const rb = resolved(this.b, item.b);
    if (this.seen.has(this.key(ra.ref, rb.ref)) && (ra.ref !== item.a || rb.ref !== item.b)) return;
    const resolvedKey = this.key(ra.ref, rb.ref);
    this.seen.add(resolvedKey);
    let result = this.cache.get(resolvedKey);
    if (!result) {
      const changes: Change[] = [];
      const edges: Edge[] = [];
      this.compareNodes(ra.node, rb.node, '', changes, edges, 0);
      result = { changes, edges };
      this.cache.set(resolvedKey, result);
    }
    const { reach } = item;
    for (const e of result.edges) {
      if (e.pointer && reach.depth >= this.hops) continue;
      this.enqueue(e.a, e.b, {
        depth: reach.depth + (e.pointer ? 1 : 0),
        byValue: reach.byValue && !e.pointer,
        via: `${reach.via}${e.path ? `.${e.path}` : ''}${e.pointer ? ' ->' : ''}`,
        root: reach.root,
      });
    }
    const name = aggregateName(ra.node) ?? item.root ?? declare(this.a, item.a);
    if (isNamedAggregate(ra.node) && isNamedAggregate(rb.node)) this.compared.push({ name, reach });
    if (result.changes.length) this.deltas.push({ name, before: ra.ref, after: rb.ref, changes: result.changes, reach });
  }

  /** Compares two resolved nodes in place, recording changes under `path`. */
  private compareNodes(na: TypeNode, nb: TypeNode, path: string, out: Change[], edges: Edge[], depth: number): void {
    // Both sides reach this depth (the walk goes on only where both have members): name the first.
    if (depth > LIMITS.TYPE_NESTING.value) throw new InputError(this.a.source.file, overLimit(LIMITS.TYPE_NESTING, `type nested too deep by value (at ${path})`));
    if (na.kind !== nb.kind) {
      // An old declaration (the object never saw the layout) meeting anything is no dependency.
      if ((na.kind === 'struct' || na.kind === 'union') && na.size === undefined) return;
      out.push({ kind: 'kind', path, before: describe(na), after: describe(nb) });
      return;
    }
    switch (na.kind) {
      case 'int': {
        const b = nb as typeof na;
        if (na.size !== b.size) out.push({ kind: 'int-width', path, before: `${na.name} (${na.size} bytes)`, after: `${b.name} (${b.size} bytes)` });
        else if (isSigned(na.encoding) !== isSigned(b.encoding)) {
          const plainChar = na.name === 'char' && b.name === 'char';
          out.push({ kind: plainChar ? 'char-signedness' : 'signedness', path, before: `${na.name} (${signedness(na.encoding)})`, after: `${b.name} (${signedness(b.encoding)})` });
        }
        return;
      }
      case 'float': {
        const b = nb as typeof na;
        if (na.size !== b.size) out.push({ kind: 'float-width', path, before: `${na.name} (${na.size} bytes)`, after: `${b.name} (${b.size} bytes)` });
        return;
      }
      case 'pointer': {
        const b = nb as typeof na;
        edges.push({ a: na.target, b: b.target, pointer: true, path });
        return;
      }
      case 'array': {
        const b = nb as typeof na;
        // A flexible array member is count 0 in BTF and has no bound in DWARF: the same thing.
        if ((na.count ?? 0) !== (b.count ?? 0)) out.push({ kind: 'array-length', path, before: String(na.count ?? '[]'), after: String(b.count ?? '[]') });
        const ea = resolved(this.a, na.element);
        const eb = resolved(this.b, b.element);
        this.compareMember(ea.ref, eb.ref, `${path}[]`, out, edges, depth + 1);
        return;
      }
      case 'struct':
      case 'union': {
        const b = nb as typeof na;
        this.compareAggregate(na, b, path, out, edges, depth);
        return;
      }
      case 'enum': {
        const b = nb as typeof na;
        if (na.declaration) return;
        if (b.declaration) {
          out.push({ kind: 'declaration-only', path, before: `${na.values.length} enumerators`, after: 'declaration only: values unknown' });
          return;
        }
        if (na.size !== b.size) out.push({ kind: 'size', path, before: `${na.size}`, after: `${b.size}` });
        const after = new Map(b.values.map((v) => [v.name, v.value]));
        const before = new Set(na.values.map((v) => v.name));
        for (const v of na.values) {
          const now = after.get(v.name);
          if (now === undefined) out.push({ kind: 'enumerator-removed', path: join(path, v.name), before: String(v.value), after: 'removed' });
          else if (now !== v.value) out.push({ kind: 'enumerator-value', path: join(path, v.name), before: String(v.value), after: String(now) });
        }
        for (const v of b.values) if (!before.has(v.name)) out.push({ kind: 'enumerator-added', path: join(path, v.name), before: 'absent', after: String(v.value) });
        return;
      }
      case 'function': {
        const b = nb as typeof na;
        if (na.prototyped && b.prototyped) {
          if (na.params.length !== b.params.length) out.push({ kind: 'param-count', path, before: String(na.params.length), after: String(b.params.length) });
          if (na.variadic !== b.variadic) out.push({ kind: 'variadic', path, before: na.variadic ? 'variadic' : 'fixed', after: b.variadic ? 'variadic' : 'fixed' });
        }
        const n = Math.min(na.params.length, b.params.length);
        for (let i = 0; i < n; i++) this.compareMember(na.params[i]!.type, b.params[i]!.type, join(path, `(param ${i + 1})`), out, edges, depth + 1);
        this.compareMember(na.returns, b.returns, join(path, '(return)'), out, edges, depth + 1);
        return;
      }
      default:
        return;
    }
  }

  /**
   * A position inside an aggregate or prototype: scalars are compared here; a named
   * aggregate held by value becomes its own delta (reached at the same depth, by value);
   * anonymous ones are compared inline.
   */
  private compareMember(a: TypeRef, b: TypeRef, path: string, out: Change[], edges: Edge[], depth: number): void {
    const ra = resolved(this.a, a);
    const rb = resolved(this.b, b);
    if (isNamedAggregate(ra.node) && isNamedAggregate(rb.node) && ra.node.kind === rb.node.kind) {
      const sa = sizeOf(this.a, ra.ref);
      const sb = sizeOf(this.b, rb.ref);
      if (sa !== undefined && sb !== undefined && sa !== sb) {
        out.push({ kind: 'size', path, before: `${aggregateName(ra.node)} (${sa} bytes)`, after: `${aggregateName(rb.node)} (${sb} bytes)` });
      }
      edges.push({ a: ra.ref, b: rb.ref, pointer: false, path });
      return;
    }
    this.compareNodes(ra.node, rb.node, path, out, edges, depth);
  }

  private compareAggregate(
    na: Extract<TypeNode, { kind: 'struct' | 'union' }>,
    nb: Extract<TypeNode, { kind: 'struct' | 'union' }>,
    path: string,
    out: Change[],
    edges: Edge[],
    depth: number,
  ): void {
    if (na.size === undefined) return; // the object never saw this layout
    if (nb.size === undefined) {
      out.push({ kind: 'declaration-only', path, before: `size ${na.size}`, after: 'declaration only: layout unknown' });
      return;
    }
    if (na.size !== nb.size) out.push({ kind: 'size', path, before: String(na.size), after: String(nb.size) });
    // Members match by name through unnamed unions and structs (C names their members as the
    // enclosing struct's): sk_timer moved into an anonymous union at the same offset is where
    // it was. Offsets are from the start of this aggregate.
    const membersA = this.flatMembers(this.a, na.members, 0, 0);
    const membersB = this.flatMembers(this.b, nb.members, 0, 0);
    const byName = new Map(membersB.map((m) => [m.key, m]));
    const matched = new Set<string>();
    for (const m of membersA) {
      const label = join(path, m.label);
      const other = byName.get(m.key);
      if (!other) {
        out.push({ kind: 'member-removed', path: label, before: `at ${bytes(m.bitOffset)}`, after: 'removed' });
        continue;
      }
      matched.add(m.key);
      if (m.bitOffset !== other.bitOffset) out.push({ kind: 'member-offset', path: label, before: bytes(m.bitOffset), after: bytes(other.bitOffset) });
      if (m.bitSize !== other.bitSize) out.push({ kind: 'member-bitfield', path: label, before: m.bitSize === undefined ? 'not a bitfield' : `${m.bitSize} bits`, after: other.bitSize === undefined ? 'not a bitfield' : `${other.bitSize} bits` });
      this.compareMember(m.type, other.type, label, out, edges, depth + 1);
    }
    for (const m of membersB) {
      if (!matched.has(m.key)) out.push({ kind: 'member-added', path: join(path, m.label), before: 'absent', after: `at ${bytes(m.bitOffset)}` });
    }
  }

  /**
   * An aggregate's members with the unnamed unions and structs opened (their members at their
   * offsets from the outer start); an unnamed member of another type (a padding bitfield) is
   * not a member anyone reads. Anonymous aggregates nested deeper than FLAT_DEPTH stay whole,
   * matched by their order.
   */
  private flatMembers(graph: TypeGraph, members: readonly Member[], base: number, level: number): FlatMember[] {
    const out: FlatMember[] = [];
    let anonymous = 0;
    for (const m of members) {
      if (m.name !== undefined) {
        out.push({ key: m.name, label: m.name, bitOffset: base + m.bitOffset, bitSize: m.bitSize, type: m.type });
        continue;
      }
      const inner = resolved(graph, m.type).node;
      if ((inner.kind === 'struct' || inner.kind === 'union') && inner.name === undefined) {
        if (level < FLAT_DEPTH) out.push(...this.flatMembers(graph, inner.members, base + m.bitOffset, level + 1));
        else out.push({ key: `#${level}.${anonymous}`, label: `(anonymous ${anonymous})`, bitOffset: base + m.bitOffset, bitSize: m.bitSize, type: m.type });
        anonymous++;
      }
    }
    return out;
  }
}

/** How deep unnamed unions and structs are opened (the kernel nests them four or five deep at most). */
const FLAT_DEPTH = 8;

interface FlatMember {
  /** The member's name (C lets it be named through unnamed aggregates), or its order among anonymous ones past FLAT_DEPTH. */
  readonly key: string;
  readonly label: string;
  readonly bitOffset: number;
  readonly bitSize: number | undefined;
  readonly type: TypeRef;
}

function join(path: string, part: string): string {
  return path ? `${path}.${part}` : part;
}

/** An offset in bits, said in bytes ("20") or bytes and bits ("20:3"). */
export function bytes(bitOffset: number): string {
  return bitOffset % 8 === 0 ? String(bitOffset / 8) : `${Math.floor(bitOffset / 8)}:${bitOffset % 8}`;
}

function isSigned(e: string): boolean {
  return e === 'signed' || e === 'signed-char';
}

function signedness(e: string): string {
  return isSigned(e) ? 'signed' : 'unsigned';
}

function isDeclaration(n: TypeNode): boolean {
  return ((n.kind === 'struct' || n.kind === 'union') && n.size === undefined) || (n.kind === 'enum' && n.declaration);
}

function isNamedAggregate(n: TypeNode): n is Extract<TypeNode, { kind: 'struct' | 'union' | 'enum' }> {
  return (n.kind === 'struct' || n.kind === 'union' || n.kind === 'enum') && n.name !== undefined;
}

export function aggregateName(n: TypeNode): string | undefined {
  return (n.kind === 'struct' || n.kind === 'union' || n.kind === 'enum') && n.name ? `${n.kind} ${n.name}` : undefined;
}

function describe(n: TypeNode): string {
  switch (n.kind) {
    case 'int':
    case 'float':
      return n.name;
    case 'struct':
    case 'union':
    case 'enum':
      return `${n.kind} ${n.name ?? '{...}'}`;
    default:
      return n.kind;
  }
}
