import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Btf, BtfTypeGraph, btfGraph, readBtf } from '../../src/btf/index.js';
import { ElfFile } from '../../src/elf/index.js';
import { sizeOf, typeRef, type TypeGraph, type TypeRef } from '../../src/graph/type-graph.js';
import { debianVmlinux } from '../support/corpus.js';
import { ELF_FIXTURES } from '../support/paths.js';
import { BtfBuilder } from './builder.js';
import { loadBtf } from './load.js';

/** A C spelling of a type, for assertions (depth-bounded). */
function spell(g: TypeGraph, ref: TypeRef, depth = 0): string {
  if (depth > 16) return '…';
  const n = g.node(ref);
  switch (n.kind) {
    case 'void':
      return 'void';
    case 'int':
    case 'float':
      return n.name;
    case 'pointer':
      return `${spell(g, n.target, depth + 1)} *`;
    case 'qualifier':
      return `${n.qualifier} ${spell(g, n.target, depth + 1)}`;
    case 'typedef':
      return n.name;
    case 'struct':
    case 'union':
    case 'enum':
      return `${n.kind} ${n.name ?? '(anon)'}`;
    case 'array':
      return `${spell(g, n.element, depth + 1)}[${n.count ?? ''}]`;
    case 'function':
      return `${spell(g, n.returns, depth + 1)} (${[...n.params.map((p) => spell(g, p.type, depth + 1)), ...(n.variadic ? ['...'] : [])].join(', ')})`;
    case 'unknown':
      return `?${n.reason}`;
  }
}

function prototype(g: BtfTypeGraph, name: string): string {
  const f = g.functionByName(name);
  if (!f) throw new Error(`no function ${name}`);
  const n = g.node(f.type);
  if (n.kind !== 'function') throw new Error(`${name} is not a function`);
  const params = [...n.params.map((p) => spell(g, p.type)), ...(n.variadic ? ['...'] : [])];
  return `${spell(g, n.returns)} ${name}(${params.join(', ')})`;
}

const graphs = new Map<string, BtfTypeGraph>();
function debianGraph(version: string): BtfTypeGraph {
  let g = graphs.get(version);
  if (!g) {
    const elf = ElfFile.open(debianVmlinux(version));
    g = btfGraph(elf, readBtf(elf)!);
    elf.close();
    graphs.set(version, g);
  }
  return g;
}

describe('struct ratelimit_state, 6.1.170 vs 6.12.117 vmlinux BTF', () => {
  it.each([
    ['6.1.170', 40, 256, 'long unsigned int', ['lock', 'interval', 'burst', 'printed', 'missed', 'begin', 'flags']],
    ['6.12.117', 32, 160, 'unsigned int', ['lock', 'interval', 'burst', 'printed', 'missed', 'flags', 'begin']],
  ] as const)('%s: size %i, flags at bit %i (%s)', (version, size, flagsAt, flagsType, names) => {
    const g = debianGraph(version);
    const refs = g.typeByName('struct', 'ratelimit_state');
    expect(refs).toHaveLength(1);
    const n = g.node(refs[0]!);
    expect(n.kind).toBe('struct');
    if (n.kind !== 'struct') return;
    expect(n.size).toBe(size);
    expect(sizeOf(g, refs[0]!)).toBe(size);
    expect(n.members.map((m) => m.name)).toEqual(names);
    const flags = n.members.find((m) => m.name === 'flags')!;
    expect(flags.bitOffset).toBe(flagsAt);
    expect(flags.bitSize).toBeUndefined();
    expect(spell(g, flags.type)).toBe(flagsType);
    expect(g.locate(refs[0]!)).toMatch(/^BTF id \d+ \(vmlinux-6\.1/);
  });
});

describe('function prototypes', () => {
  it.each(['6.1.170', '6.12.117'])('%s: ___ratelimit and the variadic _printk', (version) => {
    const g = debianGraph(version);
    expect(prototype(g, '___ratelimit')).toBe('int ___ratelimit(struct ratelimit_state *, const char *)');
    const f = g.functionByName('___ratelimit')!;
    const proto = g.node(f.type);
    expect(proto.kind === 'function' && proto.params.map((p) => p.name)).toEqual(['rs', 'func']);
    expect(f.location).toMatch(/^BTF id \d+ \(vmlinux/);
    expect(f.graph).toBe(g);
    expect(prototype(g, '_printk')).toBe('int _printk(const char *, ...)');
    const printk = g.node(g.functionByName('_printk')!.type);
    expect(printk.kind === 'function' && printk.variadic).toBe(true);
    expect(g.functionByName('no_such_function_anywhere')).toBeUndefined();
  });

  it('maps FUNC and VAR records to unknown nodes (they are not types of values)', () => {
    const g = debianGraph('6.12.117');
    const funcId = g.btf.idsNamed('___ratelimit')[0]!;
    expect(g.node(funcId)).toEqual({ kind: 'unknown', reason: `BTF id ${funcId} (vmlinux-6.12.117+deb12-amd64) is a FUNC '___ratelimit', not the type of a value` });
  });
});

describe('variables and integer encodings of the real kernels', () => {
  it('finds per-CPU variables (the only VARs pahole writes for these kernels)', () => {
    for (const version of ['6.1.170', '6.12.117']) {
      const g = debianGraph(version);
      const v = g.variableByName('this_cpu_off');
      expect(v).toBeDefined();
      expect(sizeOf(g, v!.type)).toBe(8);
      expect(g.variableByName('jiffies')).toBeUndefined();
    }
  });

  it('char is SIGNED in 6.1 and has no encoding in 6.12 (built with -funsigned-char); _Bool is bool', () => {
    const int = (version: string, name: string) => g(version).node(g(version).typeByName('int', name)[0]!);
    const g = debianGraph;
    expect(int('6.1.170', 'char')).toEqual({ kind: 'int', name: 'char', size: 1, encoding: 'signed' });
    expect(int('6.12.117', 'char')).toEqual({ kind: 'int', name: 'char', size: 1, encoding: 'unsigned' });
    expect(int('6.12.117', '_Bool')).toEqual({ kind: 'int', name: '_Bool', size: 1, encoding: 'bool' });
    expect(int('6.12.117', '__int128 unsigned')).toEqual({ kind: 'int', name: '__int128 unsigned', size: 16, encoding: 'unsigned' });
  });

  it('reads kind_flag bitfields of task_struct', () => {
    const g = debianGraph('6.12.117');
    const task = g.node(g.typeByName('struct', 'task_struct')[0]!);
    expect(task.kind).toBe('struct');
    if (task.kind !== 'struct') return;
    const m = task.members.find((x) => x.name === 'sched_reset_on_fork')!;
    expect(m).toMatchObject({ bitOffset: 18848, bitSize: 1 });
  });
});

describe('every kind, on synthetic BTF', () => {
  const b = new BtfBuilder();
  const int = b.int('int', 4, 1); // 1
  const uint = b.int('unsigned int', 4, 0); // 2
  const schar = b.int('char', 1, 1 | 2); // 3: CHAR + SIGNED
  const uchar = b.int('unsigned char', 1, 2); // 4: CHAR
  const bool = b.int('_Bool', 1, 4); // 5
  const dbl = b.float('double', 8); // 6
  const bits = b.struct('flags', 4, [
    ['a', uint, 0, 3],
    ['b', uint, 3, 5],
    ['', 9, 32],
  ]); // 7, kind_flag
  const legacyField = b.int('unsigned int', 4, 0, 3, 2); // 8: 3 bits at +2, the older bitfield encoding
  const anon = b.union('', 4, [['x', int, 0]]); // 9
  const legacy = b.struct('legacy', 4, [['f', legacyField, 8]]); // 10
  const fwdUnion = b.fwd('later', true); // 11
  const signedEnum = b.enum('state', 4, [['DEAD', -4], ['ALIVE', 1]], true); // 12
  const enum64 = b.enum64('wide', 8, [['BIG', 0xfffffffffffn], ['NEG', -1n]], true); // 13
  const uenum64 = b.enum64('uwide', 8, [['TOP', 0xffffffffffffffffn]]); // 14
  const userPtr = b.typeTag('user', int); // 15
  const ptr = b.ptr(userPtr); // 16
  const flex = b.array(int, int, 0); // 17
  const proto = b.proto(int, [['fmt', ptr], ['', 0]]); // 18
  const func = b.func('printf_like', proto, 1); // 19
  const v = b.variable('counter', int, 1); // 20
  const sec = b.datasec('.data..percpu', 4, [[v, 0, 4]]); // 21
  const tag = b.declTag('noinline', func); // 22
  const cvr = b.qualifier('RESTRICT', b.qualifier('VOLATILE', b.qualifier('CONST', int))); // 25 -> 24 -> 23
  const fwdStruct = b.fwd('flags'); // 26
  const enumDecl = b.enum('opaque', 4, []); // 27
  const graph = new BtfTypeGraph(Btf.parse(b.build(), 'synthetic.o'), { pointerSize: 4 });

  it('INT encodings and FLOAT', () => {
    expect(graph.node(int)).toEqual({ kind: 'int', name: 'int', size: 4, encoding: 'signed' });
    expect(graph.node(uint)).toEqual({ kind: 'int', name: 'unsigned int', size: 4, encoding: 'unsigned' });
    expect(graph.node(schar)).toEqual({ kind: 'int', name: 'char', size: 1, encoding: 'signed-char' });
    expect(graph.node(uchar)).toEqual({ kind: 'int', name: 'unsigned char', size: 1, encoding: 'unsigned-char' });
    expect(graph.node(bool)).toEqual({ kind: 'int', name: '_Bool', size: 1, encoding: 'bool' });
    expect(graph.node(dbl)).toEqual({ kind: 'float', name: 'double', size: 8 });
    expect(graph.node(0)).toEqual({ kind: 'void' });
  });

  it('bitfields: kind_flag widths, and the older INT-encoded width', () => {
    expect(graph.node(bits)).toEqual({
      kind: 'struct',
      name: 'flags',
      size: 4,
      members: [
        { name: 'a', type: uint, bitOffset: 0, bitSize: 3 },
        { name: 'b', type: uint, bitOffset: 3, bitSize: 5 },
        { name: undefined, type: anon, bitOffset: 32, bitSize: undefined },
      ],
    });
    expect(graph.node(legacy)).toEqual({ kind: 'struct', name: 'legacy', size: 4, members: [{ name: 'f', type: legacyField, bitOffset: 10, bitSize: 3 }] });
    expect(graph.node(anon)).toMatchObject({ kind: 'union', name: undefined, size: 4 });
  });

  it('FWD, enums, enum64, declarations', () => {
    expect(graph.node(fwdUnion)).toEqual({ kind: 'union', name: 'later', size: undefined, members: [] });
    expect(graph.node(signedEnum)).toEqual({
      kind: 'enum',
      name: 'state',
      size: 4,
      signed: true,
      values: [
        { name: 'DEAD', value: -4n },
        { name: 'ALIVE', value: 1n },
      ],
      declaration: false,
    });
    expect(graph.node(enum64)).toMatchObject({ signed: true, values: [{ name: 'BIG', value: 0xfffffffffffn }, { name: 'NEG', value: -1n }] });
    expect(graph.node(uenum64)).toMatchObject({ signed: false, size: 8, values: [{ name: 'TOP', value: 0xffffffffffffffffn }] });
    expect(graph.node(enumDecl)).toMatchObject({ kind: 'enum', declaration: true, values: [] });
  });

  it('TYPE_TAG is skipped, qualifiers and arrays map through, pointer size comes from the options', () => {
    expect(graph.node(userPtr)).toEqual(graph.node(int));
    expect(graph.node(ptr)).toEqual({ kind: 'pointer', target: userPtr });
    expect(spell(graph, typeRef(cvr))).toBe('restrict volatile const int');
    expect(graph.node(flex)).toEqual({ kind: 'array', element: int, count: 0 });
    expect(sizeOf(graph, typeRef(ptr))).toBe(4);
  });

  it('FUNC_PROTO: named parameters, a trailing nameless void is "..."', () => {
    expect(graph.node(proto)).toEqual({ kind: 'function', returns: int, params: [{ name: 'fmt', type: ptr }], variadic: true, prototyped: true });
    expect(graph.functionByName('printf_like')).toMatchObject({ name: 'printf_like', type: proto, location: `BTF id ${func} (synthetic.o)` });
  });

  it('VAR, DATASEC, DECL_TAG and FUNC are unknown nodes with a reason', () => {
    for (const id of [func, v, sec, tag]) {
      const n = graph.node(id);
      expect(n.kind).toBe('unknown');
      expect(n.kind === 'unknown' && n.reason).toMatch(/not the type of a value$/);
    }
    expect(graph.variableByName('counter')).toMatchObject({ type: int, location: `BTF id ${v} (synthetic.o)` });
  });

  it('typeByName: definitions before declarations', () => {
    expect(graph.typeByName('struct', 'flags')).toEqual([bits, fwdStruct]);
    expect(graph.typeByName('union', 'later')).toEqual([fwdUnion]);
    expect(graph.typeByName('struct', 'later')).toEqual([]);
    expect(graph.typeByName('enum', 'wide')).toEqual([enum64]);
    expect(graph.typeByName('int', 'unsigned int')).toEqual([uint, legacyField]);
    expect(graph.typeByName('float', 'double')).toEqual([dbl]);
  });
});

describe('split graphs', () => {
  it('look up the module\'s own definitions first, then the base\'s', () => {
    const base = new BtfBuilder();
    const int = base.int('int', 4, 1);
    const baseProto = base.proto(int, []);
    base.func('init', baseProto);
    base.struct('shared', 4, [['x', int, 0]]);
    const baseBtf = Btf.parse(base.build(), 'vmlinux');
    const split = new BtfBuilder({ typeCount: baseBtf.typeCount, stringLength: baseBtf.strings.total });
    const proto = split.proto(int, [['arg', int]]);
    const own = split.func('init', proto);
    const shared = split.struct('shared', 8, [['x', int, 0], ['y', int, 32]]);
    const g = new BtfTypeGraph(Btf.parse(split.build(), 'mod.ko', baseBtf));
    expect(g.functionsByName('init').map((f) => f.location)).toEqual([`BTF id ${own} (mod.ko)`, 'BTF id 3 (vmlinux)']);
    expect(g.functionByName('init')!.type).toBe(proto);
    expect(g.typeByName('struct', 'shared')).toEqual([shared, 4]);
    expect(g.locate(int)).toBe('BTF id 1 (vmlinux)');
  });
});

describe('pointer size from the ELF class', () => {
  const dir = mkdtempSync(join(tmpdir(), 'relinkable-btf-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is 4 for a 32-bit object and 8 for a 64-bit one', () => {
    const b = new BtfBuilder();
    b.ptr(b.int('int', 4, 1));
    const raw = join(dir, 'btf.raw');
    writeFileSync(raw, b.build());
    for (const [object, size] of [
      ['i386.o', 4],
      ['x86_64.o', 8],
    ] as const) {
      const out = join(dir, object);
      execFileSync('objcopy', ['--add-section', `.BTF=${raw}`, join(ELF_FIXTURES, object), out]);
      const elf = ElfFile.open(out);
      const g = btfGraph(elf, readBtf(elf)!);
      expect(g.pointerSize).toBe(size);
      expect(sizeOf(g, typeRef(2))).toBe(size);
      elf.close();
    }
  });
});

describe('loadBtf on a file without .BTF', () => {
  it('readBtf says undefined', () => {
    const elf = ElfFile.open(join(ELF_FIXTURES, 'x86_64.o'));
    expect(readBtf(elf)).toBeUndefined();
    elf.close();
    expect(() => loadBtf(join(ELF_FIXTURES, 'x86_64.o'))).toThrow(/has no \.BTF section/);
  });
});
