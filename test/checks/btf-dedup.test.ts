import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { btfDedup } from '../../src/checks/primitives/btf-dedup.js';
import type { KernelBtfIdEntry, KernelConventions } from '../../src/facts/kernel-conventions.js';
import type { FrozenInterface, TypeDefinition } from '../../src/graph/interfaces.js';
import { typeRef, type TypeGraph, type TypeNode } from '../../src/graph/type-graph.js';
import type { Replacement } from '../../src/facts/replacement.js';
import { runDetector, type DetectorCase } from '../support/detector-harness.js';

/** A type graph from plain data: node n is nodes[n]. */
function graph(file: string, nodes: Record<number, TypeNode>): TypeGraph {
  return { source: { format: 'btf', file }, pointerSize: 8, node: (ref) => nodes[ref] ?? { kind: 'void' }, locate: (ref) => `${file} #${ref}` };
}

const r = typeRef;
const INT: TypeNode = { kind: 'int', name: 'int', size: 4, encoding: 'signed' };
const task = (extra: boolean): TypeNode => ({
  kind: 'struct',
  name: 'task_struct',
  size: 16,
  members: [{ name: 'pid', type: r(1), bitOffset: 0, bitSize: undefined }, ...(extra ? [{ name: 'user_dumpable', type: r(1), bitOffset: 32, bitSize: 1 }] : [])],
});
/** struct file { struct task_struct *owner; } */
const nodes = (extra: boolean): Record<number, TypeNode> => ({
  1: INT,
  2: task(extra),
  3: { kind: 'struct', name: 'file', size: 8, members: [{ name: 'owner', type: r(4), bitOffset: 0, bitSize: undefined }] },
  4: { kind: 'pointer', target: r(2) },
  5: { kind: 'struct', name: 'rate_state', size: 4, members: [{ name: 'n', type: r(1), bitOffset: 0, bitSize: undefined }] },
});

const definition = (name: string, ref: number, inUnitSource = false): TypeDefinition => ({
  kind: 'struct',
  name,
  ref: r(ref),
  unit: '/src/lib/x.c',
  declaredAt: { file: inUnitSource ? 'lib/x.c' : 'include/linux/sched.h', line: 7 },
  inUnitSource,
});

/** The frozen object's DWARF (old task_struct) as its FrozenInterface: only the graph and its definitions are asked. */
function frozenInterface(definitions: TypeDefinition[] | undefined): FrozenInterface {
  return { graph: graph('frozen.o', nodes(false)), typeDefinitions: () => definitions } as unknown as FrozenInterface;
}

const entry = (kind: string, name: string, symbol: string, set?: KernelBtfIdEntry['set']): KernelBtfIdEntry => ({ kind, name, symbol, address: '0xffffffff8177a6cc', set });

function kernel(parts: Partial<KernelConventions> = {}): Partial<KernelConventions> {
  const btf = graph('vmlinux', nodes(true));
  return {
    configFile: '.config',
    enabled: (names) => (names.includes('DEBUG_INFO_BTF') ? { name: 'DEBUG_INFO_BTF', value: 'y' } : undefined),
    btfTypes: () => ({ source: { file: 'vmlinux', what: '.BTF' }, graph: btf, definitions: (_kind, name) => ({ task_struct: [r(2)], file: [r(3)], rate_state: [r(5)] })[name] ?? [] }),
    definedBesidesReplaced: () => true,
    btfIdEntries: () => ({
      source: { file: 'vmlinux', what: 'symbols' },
      entries: [
        entry('struct', 'task_struct', '__BTF_ID__struct__task_struct__1', { kind: 'list', name: 'btf_tracing_ids' }),
        entry('struct', 'task_struct', '__BTF_ID__struct__task_struct__2', { kind: 'set', name: 'sleepable' }),
        entry('struct', 'rate_state', '__BTF_ID__struct__rate_state__3', undefined),
      ],
    }),
    ...parts,
  };
}

const run = (c: Partial<DetectorCase> & { definitions?: TypeDefinition[] | undefined } = {}) =>
  runDetector(btfDedup, {
    entry: 'vmlinux-btf-dedup',
    frozen: { compiledAgainst: frozenInterface('definitions' in c ? c.definitions : [definition('task_struct', 2), definition('file', 3), definition('rate_state', 5)]) },
    kernel: kernel(),
    ...c,
  });

describe('btf-dedup: the types a relink into vmlinux duplicates in BTF, as plain data', () => {
  it('a struct the frozen DWARF describes otherwise, named by BTF_ID entries: one warning, with where they differ and the entries', () => {
    const [f, ...rest] = run();
    expect(rest).toEqual([]);
    expect([f!.id, f!.severity, f!.symbol, f!.before, f!.after, f!.signature]).toEqual(['btf-type-duplicated', 'warning', 'struct task_struct', '1 BTF id', '2 BTF ids', 'vmlinux-btf-dedup']);
    expect(f!.message).toBe(
      "the frozen object's DWARF describes struct task_struct differently from the new kernel (user_dumpable added at 4), so BTF deduplication keeps both and the relinked vmlinux BTF has 2 struct task_struct: " +
        `resolve_btfids warns "multiple IDs found for 'task_struct'" and gives the 2 BTF_ID entries naming it (in list btf_tracing_ids and set sleepable) the lower id, which may be the frozen object's layout; 1 other type is duplicated too (struct file)`,
    );
    expect(f!.evidence.map((e) => `${e.label}: ${e.symbol ?? e.location ?? ''} ${e.detail ?? ''}`)).toEqual([
      'frozen object: frozen.o #2 struct task_struct declared at include/linux/sched.h:7',
      'new kernel: vmlinux #2 struct task_struct',
      'first difference:  struct task_struct: user_dumpable added at 4',
      'BTF_ID: __BTF_ID__struct__task_struct__1 at 0xffffffff8177a6cc, in list btf_tracing_ids',
      'BTF_ID: __BTF_ID__struct__task_struct__2 at 0xffffffff8177a6cc, in set sleepable',
      'new kernel:  CONFIG_DEBUG_INFO_BTF=y',
      expect.stringMatching(/^catalogue: /),
    ]);
  });

  it('struct file is duplicated too (it points to task_struct) but no BTF_ID names it; rate_state is the same: no finding for either', () => {
    expect(run().map((f) => f.symbol)).toEqual(['struct task_struct']);
  });

  it('only relinked into vmlinux: not as (into) a module, not a .ko loaded as is', () => {
    expect(run({ relink: { mode: 'module' } })).toEqual([]);
    expect(run({ relink: { use: 'as-is' } })).toEqual([]);
  });

  it('not without DWARF (no definitions, or a snapshot that cannot tell them), BTF in the .config, or vmlinux BTF', () => {
    expect(run({ definitions: [] })).toEqual([]);
    expect(run({ definitions: undefined })).toEqual([]);
    expect(run({ kernel: kernel({ enabled: () => undefined }) })).toEqual([]);
    expect(run({ kernel: kernel({ btfTypes: () => undefined }) })).toEqual([]);
    // Without a .config the engine says the entry was not checked.
    expect(() => run({ kernel: kernel({ enabled: () => { throw new UsageError('no .config'); } }) })).toThrow(UsageError);
  });

  it('not for a type only the replaced unit defined: declared in its own source file, or found nowhere else in vmlinux', () => {
    const replaced = { found: true } as unknown as Replacement;
    expect(run({ definitions: [definition('task_struct', 2, true)], relink: { replacement: replaced } })).toEqual([]);
    // An object that replaces nothing adds its private struct beside a same-named one.
    expect(run({ definitions: [definition('task_struct', 2, true)] }).map((f) => f.symbol)).toEqual(['struct task_struct']);
    expect(run({ kernel: kernel({ definedBesidesReplaced: () => false }) })).toEqual([]);
  });

  it('a type the new BTF lacks is new, not a copy; one the new BTF already holds twice gains a third id', () => {
    expect(run({ kernel: kernel({ btfTypes: () => ({ source: { file: 'vmlinux', what: '.BTF' }, graph: graph('vmlinux', nodes(true)), definitions: () => [] }) }) })).toEqual([]);
    const twice = graph('vmlinux', { ...nodes(true), 6: task(true) });
    const [f] = run({ kernel: kernel({ btfTypes: () => ({ source: { file: 'vmlinux', what: '.BTF' }, graph: twice, definitions: (_k, n) => (n === 'task_struct' ? [r(2), r(6)] : []) }) }) });
    expect([f!.before, f!.after]).toEqual(['2 BTF ids', '3 BTF ids']);
    // Equal to either of them is no copy.
    const either = graph('vmlinux', { ...nodes(true), 6: task(false) });
    expect(run({ kernel: kernel({ btfTypes: () => ({ source: { file: 'vmlinux', what: '.BTF' }, graph: either, definitions: (_k, n) => (n === 'task_struct' ? [r(2), r(6)] : []) }) }) })).toEqual([]);
  });

  it('resolve_btfids may stop before the second id when no struct name repeats among the BTF_ID entries', () => {
    const once = kernel({ btfIdEntries: () => ({ source: { file: 'vmlinux', what: 'symbols' }, entries: [entry('struct', 'task_struct', '__BTF_ID__struct__task_struct__1', undefined)] }) });
    const [f] = run({ kernel: once });
    expect(f!.message).toMatch(/resolve_btfids may warn "multiple IDs found for 'task_struct'" and gives the BTF_ID entry naming it the lower id/);
  });
});
