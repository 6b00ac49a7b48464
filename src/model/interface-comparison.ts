import { callLayout, compareCalls, type CallDifference, type CallLayout } from './abi.js';
import type { Exposure, Reach } from '../graph/changes.js';
import { ClosureComparison, type PairCache, type Root, type TypeDelta } from './compare.js';
import type { FrozenObject } from '../facts/frozen-object.js';
import type { FrozenInterface, InterfaceSource, NamedKind } from '../graph/interfaces.js';
import { resolved, type FunctionDecl, type TypeGraph, type TypeRef, type VariableDecl } from '../graph/type-graph.js';

/** A function the frozen object calls (or defines, and the new kernel calls), paired with the new kernel's view. */
export interface FunctionPair {
  readonly object: FrozenObject;
  readonly name: string;
  /** 'import': the object calls it; 'definition': the object defines it and the new kernel calls it. */
  readonly direction: 'import' | 'definition';
  readonly before: FunctionDecl;
  readonly after: FunctionDecl | undefined;
  /** Which source gave `after`. */
  readonly source: InterfaceSource | undefined;
  readonly call: { before: CallLayout; after: CallLayout; differences: readonly CallDifference[] } | undefined;
}

export interface VariablePair {
  readonly object: FrozenObject;
  readonly name: string;
  readonly before: VariableDecl;
  readonly after: VariableDecl | undefined;
  readonly source: InterfaceSource | undefined;
}

/** A variable with static storage the frozen object owns whose type is a named kernel type. */
export interface OwnedStorage {
  readonly object: FrozenObject;
  readonly variable: string;
  readonly scope: string | undefined;
  readonly kind: NamedKind;
  readonly typeName: string;
  readonly before: TypeRef;
  readonly after: TypeRef | undefined;
  readonly source: InterfaceSource | undefined;
}

/** What the interface comparison looked at, and what it could not, with why. */
/** A global or type the comparison could not compare: in which frozen object, and why. */
export interface NotCompared {
  readonly object: string;
  readonly name: string;
  readonly why: string;
}

export interface Coverage {
  readonly sources: readonly string[];
  readonly functions: { readonly compared: number; readonly notCompared: readonly NotCompared[] };
  readonly variables: { readonly compared: number; readonly notCompared: readonly NotCompared[] };
  readonly ownedTypes: { readonly compared: number; readonly notCompared: readonly NotCompared[] };
  /** Frozen objects without DWARF: nothing of their interface could be compared. */
  readonly withoutDwarf: readonly string[];
}


export const EXPOSURE_RANK: Record<Exposure, number> = { owned: 0, 'by-value': 1, pointer: 2, closure: 3 };

export interface TypeChange {
  readonly object: FrozenObject;
  /** The frozen object's types (delta.before is a ref in it). */
  readonly frozenGraph: TypeGraph;
  readonly delta: TypeDelta;
  readonly exposure: Exposure;
  /** The owned variables of this type, when exposure is 'owned'. */
  readonly owners: readonly OwnedStorage[];
  readonly source: InterfaceSource;
}

/** Which named aggregates a root's closure reaches (for explaining a CRC), and the changes among them. */
export interface ClosureReport {
  readonly compared: boolean;
  readonly changed: readonly TypeDelta[];
  /** A call the compiler emits on its own (stack protector, ftrace, thunks): no C declaration to compare. */
  readonly compilerImplicit?: boolean;
}

/**
 * Functions the compiler calls by itself, whose interface the compiler fixes: their CRCs
 * move with the kernel's own declarations, never with what the object was compiled against.
 */
/** Functions the compiler calls by itself (canary, ftrace, thunks, sanitizers): their declarations are the compiler's, not the source's. */
export const COMPILER_IMPLICIT = /^(__stack_chk_fail|__fentry__|mcount|_mcount|__x86_return_thunk|__x86_indirect_(call_)?thunk_\w+|__x86_indirect_jump_thunk_\w+|__sanitizer_cov_\w+|__asan_\w+|__ubsan_handle_\w+|__tsan_\w+|__msan_\w+|__kasan_\w+|__gcov_\w+)$/;

/**
 * Pairs what each frozen object's DWARF says it was compiled against with what the new
 * kernel provides, and compares the two. Computed once, on first use, for all checks.
 */
/** The roots of one frozen object compared against one source, and the pair results they share. */
interface Walk {
  readonly object: FrozenObject;
  readonly graph: TypeGraph;
  readonly source: InterfaceSource;
  readonly roots: readonly Root[];
  readonly cache: PairCache;
}

export class InterfaceComparison {
  private computed:
    | { functions: FunctionPair[]; variables: VariablePair[]; owned: OwnedStorage[]; changes: TypeChange[]; charSignedness: TypeDelta[]; coverage: Coverage; walks: Walk[] }
    | undefined;
  private reaches: Map<TypeChange, Reach[]> | undefined;

  constructor(
    readonly frozen: readonly FrozenObject[],
    /** The new kernel's sources, most preferred first. */
    readonly sources: readonly InterfaceSource[],
    private readonly frozenInterface: (obj: FrozenObject) => FrozenInterface | undefined,
    private readonly machine: number,
    /** Names of functions the frozen objects define that the rest of the new kernel references. */
    private readonly definitionsUsed: (obj: FrozenObject) => readonly string[],
  ) {}

  private ask<T>(question: (s: InterfaceSource) => T | undefined): { answer: T; source: InterfaceSource } | undefined {
    for (const source of this.sources) {
      const answer = question(source);
      if (answer !== undefined) return { answer, source };
    }
    return undefined;
  }

  /** A function as the new kernel declares it, from the first source that has it (what rename candidates are ranked by). */
  newFunction(name: string): FunctionDecl | undefined {
    return this.ask((s) => s.functionNamed(name))?.answer;
  }

  functions(): readonly FunctionPair[] {
    return this.compute().functions;
  }

  variables(): readonly VariablePair[] {
    return this.compute().variables;
  }

  owned(): readonly OwnedStorage[] {
    return this.compute().owned;
  }

  typeChanges(): readonly TypeChange[] {
    return this.compute().changes;
  }

  coverage(): Coverage {
    return this.compute().coverage;
  }

  /**
   * Every root (a function called or defined, a variable imported or owned) from which the
   * changed type is reached, each with its own shortest way, most direct first: where the
   * change shows up in the frozen object. `change.delta.reach` is the first of them.
   */
  reachesOf(change: TypeChange): readonly Reach[] {
    this.reaches ??= this.allReaches();
    return this.reaches.get(change) ?? [change.delta.reach];
  }

  /** Each root's closure walked on its own, over the pair results the shared walk already computed. */
  private allReaches(): Map<TypeChange, Reach[]> {
    const { changes, walks } = this.compute();
    const out = new Map<TypeChange, Reach[]>();
    for (const walk of walks) {
      const byName = new Map(changes.filter((c) => c.object === walk.object).map((c) => [c.delta.name, c]));
      if (byName.size === 0) continue;
      for (const root of walk.roots) {
        const cmp = new ClosureComparison(walk.graph, walk.source.graph, walk.cache);
        for (const delta of cmp.run([root])) {
          const change = byName.get(delta.name);
          if (!change) continue;
          const list = out.get(change) ?? [];
          if (!list.some((r) => r.root === delta.reach.root)) list.push(delta.reach);
          out.set(change, list);
        }
      }
    }
    for (const list of out.values()) list.sort((a, b) => a.depth - b.depth || Number(b.byValue) - Number(a.byValue) || (a.root < b.root ? -1 : a.root > b.root ? 1 : 0));
    return out;
  }

  /** Plain char changed signedness between the two builds (one build-wide fact). */
  charSignedness(): readonly TypeDelta[] {
    return this.compute().charSignedness;
  }

  /** Whether the prototype and type closure of one imported symbol changed: for explaining a CRC. */
  closureOf(object: FrozenObject, name: string): ClosureReport {
    if (COMPILER_IMPLICIT.test(name)) return { compared: true, changed: [], compilerImplicit: true };
    if (name === 'module_layout') return this.moduleLayout(object);
    const fn = this.compute().functions.find((f) => f.object === object && f.name === name && f.direction === 'import');
    const v = this.compute().variables.find((x) => x.object === object && x.name === name);
    const pair = fn?.after ? { before: fn.before.type, after: fn.after.type, graph: fn.after.graph, oldGraph: fn.before.graph } : v?.after ? { before: v.before.type, after: v.after.type, graph: v.after.graph, oldGraph: v.before.graph } : undefined;
    if (!pair) return { compared: false, changed: [] };
    const cmp = new ClosureComparison(pair.oldGraph, pair.graph);
    const changed = cmp.run([{ label: name, before: pair.before, after: pair.after, owned: false }]).map(withoutCharSignedness).filter((d) => d.changes.length > 0);
    return { compared: true, changed };
  }

  /**
   * module_layout is a dummy export whose CRC covers the structs its parameters point to
   * (struct module, modversion_info, kernel_param, kernel_symbol, tracepoint): compare each
   * the object itself defines with the new kernel's.
   */
  private moduleLayout(object: FrozenObject): ClosureReport {
    const mine = this.frozenInterface(object);
    const asked = this.ask((s) => s.functionNamed('module_layout'));
    if (!mine || !asked) return { compared: false, changed: [] };
    const fn = asked.answer.graph.node(asked.answer.type);
    if (fn.kind !== 'function') return { compared: false, changed: [] };
    const roots: Root[] = [];
    for (const p of fn.params) {
      let target = resolved(asked.answer.graph, p.type);
      while (target.node.kind === 'pointer') target = resolved(asked.answer.graph, target.node.target);
      const node = target.node;
      if ((node.kind === 'struct' || node.kind === 'union') && node.name) {
        const before = mine.typeNamed(node.kind, node.name);
        if (before !== undefined) roots.push({ label: `${node.kind} ${node.name}`, before, after: target.ref, owned: false });
      }
    }
    const cmp = new ClosureComparison(mine.graph, asked.answer.graph);
    const changed = cmp.run(roots).map(withoutCharSignedness).filter((d) => d.changes.length > 0);
    return { compared: roots.length > 0, changed };
  }

  private compute() {
    if (this.computed) return this.computed;
    const functions: FunctionPair[] = [];
    const variables: VariablePair[] = [];
    const owned: OwnedStorage[] = [];
    const changes: TypeChange[] = [];
    const charSignedness: TypeDelta[] = [];
    const importedVariables = new Set<string>();
    const notCompared = { functions: [] as NotCompared[], variables: [] as NotCompared[], owned: [] as NotCompared[] };
    const withoutDwarf: string[] = [];
    const walks: Walk[] = [];
    const nowhere = this.sources.length ? `not found in ${this.sources.map((s) => s.description).join(' or ')}` : 'no type source of the new kernel was used (--type-source none)';

    for (const obj of this.frozen) {
      const mine = this.frozenInterface(obj);
      if (!mine) {
        withoutDwarf.push(obj.path);
        continue;
      }
      const roots: (Root & { source: InterfaceSource })[] = [];

      for (const imp of obj.imports.values()) {
        if (imp.kind === 'function' || imp.kind === 'unknown') {
          const before = mine.declaredFunction(imp.name);
          if (!before) {
            if (imp.kind === 'function') {
              notCompared.functions.push({ object: obj.path, name: imp.name, why: COMPILER_IMPLICIT.test(imp.name) ? 'called by compiler-generated code: no declaration' : 'no declaration in the frozen object' });
            }
          } else {
            const asked = this.ask((s) => s.functionNamed(imp.name));
            functions.push(this.pair(obj, imp.name, 'import', before, asked));
            if (!asked) notCompared.functions.push({ object: obj.path, name: imp.name, why: nowhere });
            else if (!isPrototyped(before)) notCompared.functions.push({ object: obj.path, name: imp.name, why: 'the frozen object declares it without a prototype (a compiler builtin)' });
            else roots.push({ label: imp.name, before: before.type, after: asked.answer.type, owned: false, source: asked.source });
          }
        }
        if (imp.kind === 'data' || imp.kind === 'unknown') {
          const before = mine.variableNamed(imp.name);
          if (!before) {
            if (imp.kind === 'data') notCompared.variables.push({ object: obj.path, name: imp.name, why: 'no declaration in the frozen object' });
            continue;
          }
          const asked = this.ask((s) => s.variableNamed(imp.name));
          variables.push({ object: obj, name: imp.name, before, after: asked?.answer, source: asked?.source });
          if (asked) {
            roots.push({ label: imp.name, before: before.type, after: asked.answer.type, owned: false, source: asked.source });
            importedVariables.add(imp.name);
          } else notCompared.variables.push({ object: obj.path, name: imp.name, why: nowhere });
        }
      }

      for (const name of this.definitionsUsed(obj)) {
        const before = mine.definedFunction(name);
        if (!before) continue;
        const asked = this.ask((s) => s.functionNamed(name));
        functions.push(this.pair(obj, name, 'definition', before, asked));
        if (asked) roots.push({ label: name, before: before.type, after: asked.answer.type, owned: false, source: asked.source });
      }

      // Owned storage is asked for after the functions (whose units define most of the
      // types the object owns: the DWARF source searches those first), and goes first among
      // the roots: the breadth-first walk then reaches these types as owned.
      const ownedRoots: typeof roots = [];
      for (const v of ownedVariables(mine)) {
        const asked = this.ask((s) => s.typeNamed(v.kind, v.typeName));
        owned.push({ object: obj, variable: v.name, scope: v.scope, kind: v.kind, typeName: v.typeName, before: v.typeRef, after: asked?.answer, source: asked?.source });
        if (!asked) notCompared.owned.push({ object: obj.path, name: `${v.kind} ${v.typeName} (${v.name})`, why: `${nowhere}: a type of the object's own, or one the new kernel dropped` });
        if (asked) ownedRoots.push({ label: `${v.scope ? `${v.scope}: ` : ''}${v.name}`, before: v.typeRef, after: asked.answer, owned: true, source: asked.source });
      }
      roots.unshift(...ownedRoots);

      // One comparison per kernel source, so each type pair is compared once.
      for (const source of this.sources) {
        const mineRoots = roots.filter((r) => r.source === source);
        if (mineRoots.length === 0) continue;
        const cache: PairCache = new Map();
        walks.push({ object: obj, graph: mine.graph, source, roots: mineRoots, cache });
        const cmp = new ClosureComparison(mine.graph, source.graph, cache);
        for (const delta of cmp.run(mineRoots)) {
          const chars = delta.changes.filter((c) => c.kind === 'char-signedness');
          if (chars.length) charSignedness.push({ ...delta, changes: chars });
          const real = withoutCharSignedness(delta);
          if (real.changes.length === 0) continue;
          const root = mineRoots.find((r) => r.label === delta.reach.root);
          // An imported variable's type is met through its address, as a pointer's target is:
          // the object reads the members it names, the others it never sees.
          const throughAddress = delta.reach.depth === 0 && root !== undefined && importedVariables.has(root.label);
          const exposure: Exposure =
            root?.owned && delta.reach.depth === 0 ? 'owned' : throughAddress || delta.reach.depth === 1 ? 'pointer' : delta.reach.depth === 0 ? 'by-value' : 'closure';
          const owners = exposure === 'owned' ? owned.filter((o) => o.object === obj && o.before === delta.before) : [];
          // Each compile unit of an object has its own copy of a header's types: one change per name, the most direct.
          const twin = changes.findIndex((c) => c.object === obj && c.delta.name === real.name);
          const candidate: TypeChange = { object: obj, frozenGraph: mine.graph, delta: real, exposure, owners, source };
          if (twin < 0) changes.push(candidate);
          else if (EXPOSURE_RANK[exposure] < EXPOSURE_RANK[changes[twin]!.exposure]) changes[twin] = { ...candidate, owners: [...candidate.owners, ...changes[twin]!.owners] };
          else if (owners.length) changes[twin] = { ...changes[twin]!, owners: [...changes[twin]!.owners, ...owners] };
        }
      }
    }
    const coverage: Coverage = {
      sources: this.sources.map((s) => s.description),
      functions: { compared: functions.filter((f) => f.call !== undefined).length, notCompared: notCompared.functions },
      variables: { compared: variables.filter((v) => v.after !== undefined).length, notCompared: notCompared.variables },
      ownedTypes: { compared: owned.filter((o) => o.after !== undefined).length, notCompared: notCompared.owned },
      withoutDwarf,
    };
    this.computed = { functions, variables, owned, changes, charSignedness, coverage, walks };
    return this.computed;
  }

  private pair(
    object: FrozenObject,
    name: string,
    direction: FunctionPair['direction'],
    before: FunctionDecl,
    asked: { answer: FunctionDecl; source: InterfaceSource } | undefined,
  ): FunctionPair {
    let call: FunctionPair['call'];
    if (asked && isPrototyped(before)) {
      const a = callLayout(before.graph, before.type, this.machine);
      const b = callLayout(asked.answer.graph, asked.answer.type, this.machine);
      if (a && b) call = { before: a, after: b, differences: compareCalls(a, b) };
    }
    return { object, name, direction, before, after: asked?.answer, source: asked?.source, call };
  }
}

function withoutCharSignedness(delta: TypeDelta): TypeDelta {
  return { ...delta, changes: delta.changes.filter((c) => c.kind !== 'char-signedness') };
}

function isPrototyped(fn: FunctionDecl): boolean {
  const node = fn.graph.node(fn.type);
  return node.kind === 'function' && (node.prototyped || node.params.length > 0);
}

interface OwnedType {
  readonly name: string;
  readonly scope: string | undefined;
  readonly kind: NamedKind;
  readonly typeName: string;
  readonly typeRef: TypeRef;
}

/** The object's own variables (any scope) whose type, through arrays and typedefs, is a named struct or union. */
function ownedVariables(mine: FrozenInterface): OwnedType[] {
  const out: OwnedType[] = [];
  for (const v of mine.ownedStorage()) {
    let ref = v.type;
    for (let hops = 0; hops < 8; hops++) {
      const r = resolved(mine.graph, ref);
      if (r.node.kind === 'array') {
        ref = r.node.element;
        continue;
      }
      if ((r.node.kind === 'struct' || r.node.kind === 'union') && r.node.name && r.node.size !== undefined) {
        out.push({ name: v.name, scope: v.scope, kind: r.node.kind, typeName: r.node.name, typeRef: r.ref });
      }
      break;
    }
  }
  return out;
}
