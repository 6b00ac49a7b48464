import { EM_AARCH64, EM_X86_64 } from '../facts/architecture.js';
import type { CallDifference } from '../graph/changes.js';

export type { CallDifference };
import { resolved, sizeOf, type TypeGraph, type TypeNode, type TypeRef } from '../graph/type-graph.js';
import { nestedTooDeep, pastNestingLimit } from './nesting.js';

/**
 * Where a call puts each argument, by the calling convention of the architecture: x86-64
 * System V (AMD64 psABI §3.2.3) and AArch64 AAPCS64 (§6.8). Two prototypes are the same at
 * the machine level when every argument lands in the same place with the same width: a
 * renamed typedef over the same layout does not move anything; int -> long changes a width
 * in the same register; a struct that grows past 16 bytes moves from registers to memory.
 */

export interface ArgLocation {
  /** "rdi", "rsi+rdx", "xmm0", "x0", "v0+v1", "stack+8", "stack (hidden copy)". */
  readonly where: string;
  /** Bytes the callee reads for it. */
  readonly size: number;
  /** By-value aggregate: its layout travels with it. */
  readonly aggregate: boolean;
}

export interface CallLayout {
  readonly args: readonly ArgLocation[];
  readonly result: ArgLocation | undefined;
  /** The result is returned through memory whose address the caller passes. */
  readonly indirectResult: boolean;
  readonly variadic: boolean;
}

type Class = 'INTEGER' | 'SSE' | 'MEMORY' | 'NONE';

const X86_INT_REGS = ['rdi', 'rsi', 'rdx', 'rcx', 'r8', 'r9'];

export function callLayout(graph: TypeGraph, fn: TypeRef, machine: number): CallLayout | undefined {
  const node = graph.node(fn);
  if (node.kind !== 'function') return undefined;
  if (machine === EM_X86_64) return x86_64(graph, node);
  if (machine === EM_AARCH64) return aarch64(graph, node);
  return undefined;
}

function scalarClass(node: TypeNode): Class {
  switch (node.kind) {
    case 'int':
    case 'enum':
    case 'pointer':
      return 'INTEGER';
    case 'float':
      return node.size <= 8 ? 'SSE' : 'MEMORY';
    default:
      return 'NONE';
  }
}

/** Classes of the eightbytes of a value (AMD64 psABI 3.2.3), or MEMORY. */
function classifyX86(graph: TypeGraph, ref: TypeRef): Class[] {
  const { node, ref: r } = resolved(graph, ref);
  const size = sizeOf(graph, r);
  if (node.kind === 'void') return [];
  if (node.kind === 'int' || node.kind === 'enum' || node.kind === 'pointer') return size !== undefined && size > 8 ? ['INTEGER', 'INTEGER'] : ['INTEGER'];
  if (node.kind === 'float') return size === 16 ? ['MEMORY'] : ['SSE'];
  if (size === undefined || size > 16 || size === 0) return ['MEMORY'];
  const classes: Class[] = new Array(Math.ceil(size / 8)).fill('NONE');
  if (!mergeFields(graph, r, 0, classes, 0)) return ['MEMORY'];
  return classes.map((c) => (c === 'NONE' ? 'SSE' : c));
}

/** Merges the classes of every scalar inside an aggregate into its eightbytes; false if a field is unaligned. */
function mergeFields(graph: TypeGraph, ref: TypeRef, baseBits: number, classes: Class[], depth: number): boolean {
  if (pastNestingLimit(depth)) throw nestedTooDeep(graph, ref, 'argument type');
  const { node, ref: r } = resolved(graph, ref);
  if (node.kind === 'struct' || node.kind === 'union') {
    for (const m of node.members) if (!mergeFields(graph, m.type, baseBits + m.bitOffset, classes, depth + 1)) return false;
    return true;
  }
  if (node.kind === 'array') {
    const element = sizeOf(graph, node.element);
    if (element === undefined) return false;
    // Elements past the value's eightbytes cannot be classified into them: the layout is not
    // the one the value's size says (the caller passes it in memory). Bounds the loop too.
    const count = node.count ?? 0;
    if (element === 0 || count === 0) return true;
    if (baseBits + count * element * 8 > classes.length * 64) return false;
    for (let i = 0; i < count; i++) if (!mergeFields(graph, node.element, baseBits + i * element * 8, classes, depth + 1)) return false;
    return true;
  }
  const cls = scalarClass(node);
  if (cls === 'NONE') return true;
  const size = sizeOf(graph, r) ?? 0;
  if (baseBits % 8 === 0 && size > 0 && (baseBits / 8) % size !== 0) return false;
  const index = Math.floor(baseBits / 64);
  // A member placed past the end of the value (an offset of 2^32 from hostile DWARF): no
  // eightbyte holds it; writing classes[index] there would make a sparse array of 2^29 slots.
  if (!Number.isSafeInteger(baseBits) || baseBits < 0 || index >= classes.length) return false;
  const merged = classes[index] === 'INTEGER' || cls === 'INTEGER' ? 'INTEGER' : cls === 'MEMORY' ? 'MEMORY' : 'SSE';
  classes[index] = merged;
  return merged !== 'MEMORY';
}

function x86_64(graph: TypeGraph, fn: Extract<TypeNode, { kind: 'function' }>): CallLayout {
  let intNext = 0;
  let sseNext = 0;
  let stack = 0;
  const retClasses = classifyX86(graph, fn.returns);
  const indirectResult = retClasses.includes('MEMORY');
  // A result returned in memory takes %rdi for its address: every integer argument moves.
  if (indirectResult) intNext = 1;
  const args: ArgLocation[] = fn.params.map((p) => {
    const { node, ref } = resolved(graph, p.type);
    const size = sizeOf(graph, ref) ?? 0;
    const aggregate = node.kind === 'struct' || node.kind === 'union';
    const classes = classifyX86(graph, p.type);
    const ints = classes.filter((c) => c === 'INTEGER').length;
    const sses = classes.filter((c) => c === 'SSE').length;
    if (!classes.includes('MEMORY') && intNext + ints <= 6 && sseNext + sses <= 8) {
      const regs = classes.map((c) => (c === 'INTEGER' ? X86_INT_REGS[intNext++]! : `xmm${sseNext++}`));
      return { where: regs.join('+'), size, aggregate };
    }
    const at = stack;
    stack += Math.max(8, Math.ceil(size / 8) * 8);
    return { where: `stack+${at}`, size, aggregate };
  });
  const result = retClasses.length === 0 ? undefined : {
    where: indirectResult ? 'memory (address in rdi, returned in rax)' : retClasses.map((c, i) => (c === 'INTEGER' ? ['rax', 'rdx'][i] : ['xmm0', 'xmm1'][i])).join('+'),
    size: sizeOf(graph, fn.returns) ?? 0,
    aggregate: isAggregate(graph, fn.returns),
  };
  return { args, result, indirectResult, variadic: fn.variadic };
}

function isAggregate(graph: TypeGraph, ref: TypeRef): boolean {
  const { node } = resolved(graph, ref);
  return node.kind === 'struct' || node.kind === 'union';
}

/**
 * A homogeneous floating-point or short-vector aggregate (HFA/HVA: 1-4 members of one FP
 * type, or of one 8- or 16-byte vector type): passed in consecutive V registers.
 */
function hfa(graph: TypeGraph, ref: TypeRef): { count: number; size: number } | undefined {
  const leaves: number[] = [];
  const walk = (r: TypeRef, depth: number): boolean => {
    if (pastNestingLimit(depth)) throw nestedTooDeep(graph, r, 'argument type');
    const { node } = resolved(graph, r);
    if (node.kind === 'float') {
      leaves.push(node.size);
      return true;
    }
    if (node.kind === 'array' && node.vector) {
      const size = sizeOf(graph, r);
      if (size !== 8 && size !== 16) return false;
      // A vector leaf is told apart from a float of the same size (they do not mix in one HVA).
      leaves.push(-size);
      return true;
    }
    if (node.kind === 'struct') return node.members.every((m) => walk(m.type, depth + 1));
    if (node.kind === 'array') {
      // An HFA has at most four members: a longer array is not one (and is not walked element by element).
      if (node.count === undefined || node.count > 4) return false;
      for (let i = 0; i < node.count; i++) if (!walk(node.element, depth + 1)) return false;
      return true;
    }
    return false;
  };
  if (!walk(ref, 0) || leaves.length === 0 || leaves.length > 4 || leaves.some((s) => s !== leaves[0])) return undefined;
  return { count: leaves.length, size: Math.abs(leaves[0]!) };
}

function aarch64(graph: TypeGraph, fn: Extract<TypeNode, { kind: 'function' }>): CallLayout {
  let ngrn = 0;
  let nsrn = 0;
  let stack = 0;
  const onStack = (size: number, align = 8) => {
    stack = Math.ceil(stack / align) * align;
    const at = stack;
    stack += Math.ceil(size / 8) * 8;
    return `stack+${at}`;
  };
  const args: ArgLocation[] = fn.params.map((p) => {
    const { node, ref } = resolved(graph, p.type);
    const size = sizeOf(graph, ref) ?? 0;
    const aggregate = node.kind === 'struct' || node.kind === 'union' || node.kind === 'array';
    if (node.kind === 'float') {
      if (nsrn < 8) return { where: `v${nsrn++}`, size, aggregate };
      return { where: onStack(size), size, aggregate };
    }
    if (aggregate) {
      const h = hfa(graph, p.type);
      if (h) {
        if (nsrn + h.count <= 8) return { where: Array.from({ length: h.count }, () => `v${nsrn++}`).join('+'), size, aggregate };
        nsrn = 8;
        return { where: onStack(size), size, aggregate };
      }
      // Composites over 16 bytes are copied by the caller and passed by address (B.4).
      if (size > 16) {
        if (ngrn < 8) return { where: `x${ngrn++} (address of a copy)`, size, aggregate };
        return { where: `${onStack(8)} (address of a copy)`, size, aggregate };
      }
      const regs = Math.ceil(size / 8);
      if (ngrn + regs <= 8) return { where: Array.from({ length: regs }, () => `x${ngrn++}`).join('+'), size, aggregate };
      ngrn = 8;
      return { where: onStack(size), size, aggregate };
    }
    // Integral and pointer: one X register, or an even-numbered pair for 16 bytes.
    if (size > 8) {
      if (ngrn % 2) ngrn++;
      if (ngrn + 2 <= 8) {
        const where = `x${ngrn}+x${ngrn + 1}`;
        ngrn += 2;
        return { where, size, aggregate };
      }
      ngrn = 8;
      return { where: onStack(size, 16), size, aggregate };
    }
    if (ngrn < 8) return { where: `x${ngrn++}`, size, aggregate };
    return { where: onStack(size), size, aggregate };
  });
  const retSize = sizeOf(graph, fn.returns);
  const ret = resolved(graph, fn.returns).node;
  const indirectResult = (ret.kind === 'struct' || ret.kind === 'union') && (retSize ?? 0) > 16 && !hfa(graph, fn.returns);
  const result =
    ret.kind === 'void'
      ? undefined
      : {
          where: indirectResult ? 'memory (address in x8)' : ret.kind === 'float' || hfa(graph, fn.returns) ? 'v0' : (retSize ?? 0) > 8 ? 'x0+x1' : 'x0',
          size: retSize ?? 0,
          aggregate: ret.kind === 'struct' || ret.kind === 'union',
        };
  return { args, result, indirectResult, variadic: fn.variadic };
}

const show = (a: ArgLocation | undefined) => (a ? `${a.where}, ${a.size} bytes` : 'nothing');

/** Machine-level differences between how callers of the old and the new prototype pass arguments. */
export function compareCalls(before: CallLayout, after: CallLayout): CallDifference[] {
  const out: CallDifference[] = [];
  if (before.args.length !== after.args.length) {
    out.push({ what: 'argument count', before: String(before.args.length), after: String(after.args.length), kind: 'count' });
  }
  if (before.variadic !== after.variadic) {
    out.push({ what: 'variadic', before: before.variadic ? 'variadic' : 'fixed arguments', after: after.variadic ? 'variadic' : 'fixed arguments', kind: 'variadic' });
  }
  const n = Math.max(before.args.length, after.args.length);
  for (let i = 0; i < n; i++) {
    const a = before.args[i];
    const b = after.args[i];
    if (!a || !b) continue;
    if (a.where !== b.where) out.push({ what: `argument ${i + 1}`, before: show(a), after: show(b), kind: 'moved' });
    else if (a.size !== b.size) out.push({ what: `argument ${i + 1}`, before: show(a), after: show(b), kind: a.aggregate || b.aggregate ? 'aggregate' : 'width' });
  }
  const ra = before.result;
  const rb = after.result;
  if (ra?.where !== rb?.where) out.push({ what: 'the result', before: show(ra), after: show(rb), kind: 'moved' });
  else if (ra && rb && ra.size !== rb.size) out.push({ what: 'the result', before: show(ra), after: show(rb), kind: ra.aggregate || rb.aggregate ? 'aggregate' : 'width' });
  return out;
}
