import { describe, expect, it } from 'vitest';
import { Btf } from '../../src/btf/index.js';
import { caught } from '../support/input-error.js';
import { EM_AARCH64, EM_X86_64 } from '../../src/elf/constants.js';
import { typeRef, type TypeGraph, type TypeNode, type TypeRef } from '../../src/graph/type-graph.js';
import { globMatch } from '../../src/kernel/linker-script/glob.js';
import { parseLinkerScript } from '../../src/kernel/linker-script/index.js';
import { callLayout } from '../../src/model/abi.js';
import { BtfBuilder } from '../btf/builder.js';

/**
 * Issue 13: a BTF loop's message (14), the calling-convention classifier on a member at 2^32
 * (3), and linker scripts nested deep, with huge patterns or many unclosed `[` (4). A guard
 * timeout catches only a true hang (these used to run for minutes or overflow the stack).
 */

describe('a BTF reference loop over many types: one short line (defect 14)', () => {
  it('100,000 typedefs in one loop: the first ids and the count, not every id (was a 1 MB line)', () => {
    const b = new BtfBuilder();
    const n = 100_000;
    for (let i = 0; i < n; i++) b.typedef(`t${i}`, i + 2 <= n ? i + 2 : 1);
    const e = caught(() => Btf.parse(b.build(), 'loop.ko'));
    expect(e.problem).toMatch(/^type \[1\] TYPEDEF at \.BTF\+0x[0-9a-f]+: reference loop \[1\] -> \[2\] -> \[3\] -> \[4\] -> \[5\] -> \[6\] -> \[7\] -> \[8\] -> … \(100000 types in all\) -> \[1\]$/);
    expect(e.message.length).toBeLessThan(200);
  });

  it('a short loop is still listed whole', () => {
    const b = new BtfBuilder();
    b.typedef('a', 2);
    b.typedef('b', 3);
    b.typedef('c', 1);
    expect(caught(() => Btf.parse(b.build(), 'loop.ko')).problem).toMatch(/reference loop \[1\] -> \[2\] -> \[3\] -> \[1\]$/);
  });
});

describe('the calling-convention classifier on a member placed at 2^32 (defect 3)', () => {
  /** A graph from plain nodes: 1 int, 2 the struct under test, 3 a function taking it. */
  function graph(struct: TypeNode): TypeGraph {
    const nodes = new Map<number, TypeNode>([
      [1, { kind: 'int', name: 'long', size: 8, encoding: 'signed' }],
      [2, struct],
      [3, { kind: 'function', returns: typeRef(0), params: [{ name: 's', type: typeRef(2) }, { name: 'x', type: typeRef(1) }], variadic: false, prototyped: true }],
    ]);
    return {
      source: { format: 'dwarf', file: 'hostile.o' },
      pointerSize: 8,
      node: (ref: TypeRef) => (ref === 0 ? { kind: 'void' } : nodes.get(ref)!),
      locate: (ref: TypeRef) => `#${ref}`,
    } as unknown as TypeGraph;
  }

  it('x86-64: a 16-byte struct whose second member claims bit offset 2^35 goes to memory, at once (was a sparse array of 2^29 slots)', { timeout: 60_000 }, () => {
    const g = graph({
      kind: 'struct',
      name: 'hostile',
      size: 16,
      members: [
        { name: 'a', type: typeRef(1), bitOffset: 0, bitSize: undefined },
        { name: 'b', type: typeRef(1), bitOffset: 2 ** 35, bitSize: undefined },
      ],
    } as TypeNode);
    const layout = callLayout(g, typeRef(3), EM_X86_64)!;
    expect(layout.args.map((a) => a.where)).toEqual(['stack+0', 'rdi']);
  });

  it('an array member of 2^32 elements inside a 16-byte struct: memory, without walking the elements', { timeout: 60_000 }, () => {
    const g = graph({
      kind: 'struct',
      name: 'hostile',
      size: 16,
      members: [{ name: 'a', type: typeRef(4), bitOffset: 0, bitSize: undefined }],
    } as TypeNode);
    const withArray: TypeGraph = {
      ...g,
      node: (ref: TypeRef) => (ref === 4 ? { kind: 'array', element: typeRef(1), count: 2 ** 32 } : g.node(ref)),
    } as TypeGraph;
    expect(callLayout(withArray, typeRef(3), EM_X86_64)!.args.map((a) => a.where)).toEqual(['stack+0', 'rdi']);
    expect(callLayout(withArray, typeRef(3), EM_AARCH64)!.args.map((a) => a.where)).toEqual(['x0+x1', 'x2']);
  });

  it('a well-formed 16-byte struct still goes in two registers', () => {
    const g = graph({
      kind: 'struct',
      name: 'pair',
      size: 16,
      members: [
        { name: 'a', type: typeRef(1), bitOffset: 0, bitSize: undefined },
        { name: 'b', type: typeRef(1), bitOffset: 64, bitSize: undefined },
      ],
    } as TypeNode);
    expect(callLayout(g, typeRef(3), EM_X86_64)!.args.map((a) => a.where)).toEqual(['rdi+rsi', 'rdx']);
  });
});

describe('linker scripts an attacker wrote (defect 4)', () => {
  const script = (body: string) => `SECTIONS {\n  .text : { *(.text) }\n  ${body}\n}\n`;

  it('an expression nested 100,000 deep: an input error naming the limit, not a stack overflow (exit 3)', { timeout: 60_000 }, () => {
    const deep = `x = ${'('.repeat(100_000)}1${')'.repeat(100_000)};`;
    expect(caught(() => parseLinkerScript(script(deep), 'deep.lds')).problem).toMatch(/^line 3: nested too deeply: more than 256 levels, over the limit LINKER_SCRIPT_NESTING \(256\)$/);
    const unary = `x = ${'-'.repeat(100_000)}1;`;
    expect(caught(() => parseLinkerScript(script(unary), 'unary.lds')).problem).toMatch(/over the limit LINKER_SCRIPT_NESTING \(256\)$/);
    const sorts = `.data : { *(${'SORT('.repeat(10_000)}.data${')'.repeat(10_000)}) }`;
    expect(caught(() => parseLinkerScript(script(sorts), 'sorts.lds')).problem).toMatch(/over the limit LINKER_SCRIPT_NESTING \(256\)$/);
  });

  it('the nesting real scripts use still parses', () => {
    const ok = `x = ${'('.repeat(50)}1${')'.repeat(50)};`;
    expect(parseLinkerScript(script(ok), 'ok.lds').assignments.map((a) => a.symbol)).toEqual(['x']);
  });

  it('a 400 KB name pattern: an input error naming the line and the limit (was "Invalid regular expression")', () => {
    const huge = `.data : { *(${'*a?'.repeat(140_000)}) }`;
    expect(caught(() => parseLinkerScript(script(huge), 'huge.lds')).problem).toBe(
      'line 3: name pattern too long: 420000 characters, over the limit GLOB_PATTERN_LENGTH (4096)',
    );
  });

  it('patterns are matched without a RegExp: many stars cost pattern × name, not backtracking', { timeout: 60_000 }, () => {
    const stars = `${'*a'.repeat(2000)}*b`;
    expect(globMatch(stars, 'a'.repeat(5000))).toBe(false);
    expect(globMatch(stars, `${'a'.repeat(2000)}b`)).toBe(true);
  });

  it('4,096 unclosed `[` (the longest pattern allowed) compile and match quickly; 30,000 are refused by the length limit', { timeout: 60_000 }, () => {
    expect(globMatch('['.repeat(4096), '['.repeat(4096))).toBe(true);
    const many = `.data : { *(${'['.repeat(30_000)}) }`;
    expect(caught(() => parseLinkerScript(script(many), 'brackets.lds')).problem).toBe(
      'line 3: name pattern too long: 30000 characters, over the limit GLOB_PATTERN_LENGTH (4096)',
    );
  });

  it('fnmatch semantics are unchanged: classes, negation, ranges, escapes, * and ? across / and .', () => {
    const cases: [string, string, boolean][] = [
      ['.text.*', '.text.hot.x', true],
      ['.text.*', '.text', false],
      ['*.o', 'arch/x86/kernel/head_64.o', true],
      ['?', '/', true],
      ['[abc]x', 'bx', true],
      ['[!abc]x', 'bx', false],
      ['[^abc]x', 'dx', true],
      ['[a-c]*', 'c.data', true],
      ['[a-c]*', 'd.data', false],
      ['[]]', ']', true],
      ['[!]]', 'a', true],
      ['a\\*', 'a*', true],
      ['a\\*', 'ab', false],
      ['[', '[', true],
      ['x[', 'x[', true],
      ['[a-]', '-', true],
      ['.rodata.[!.]*', '.rodata.str', true],
      ['.rodata.[!.]*', '.rodata..x', false],
    ];
    for (const [pattern, name, expected] of cases) expect(globMatch(pattern, name), `${pattern} ~ ${name}`).toBe(expected);
  });
});
