import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DwarfFile } from '../../src/dwarf/index.js';
import { ObjectDwarfInterface } from '../../src/dwarf/dwarf-interfaces.js';
import { callLayout, compareCalls } from '../../src/model/abi.js';
import { ElfFile } from '../../src/elf/index.js';
import { EM_AARCH64, EM_X86_64 } from '../../src/elf/constants.js';

// GCC itself is the oracle: each callN passes distinct constants to fN; where the compiler
// puts each constant (which argument register, or memory) is read from its disassembly and
// compared with where relinkable's classifier says that argument goes.
const SOURCE = `
struct two { long a, b; };
struct three { long a, b, c; };
struct small { int a, b; };
extern void f1(int a, long b, struct two s, void *p);
extern struct three f2(int a, int b);
extern void f3(struct three s, int a);
extern void f4(struct small s, int a);
extern void f5(int a, int b, int c, int d, int e, int f, int g, struct two h);
extern long f6(char a, short b, unsigned long c);
void call1(void) { struct two s = { 0x1111, 0x2222 }; f1(0x11, 0x22, s, (void *)0x44); }
struct three call2(void) { return f2(0x11, 0x22); }
void call3(void) { struct three s = { 0x1111, 0x2222, 0x3333 }; f3(s, 0x11); }
void call4(void) { struct small s = { 0x1111, 0x2222 }; f4(s, 0x11); }
void call5(void) { struct two h = { 0x1111, 0x2222 }; f5(0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, h); }
long call6(void) { return f6(0x11, 0x22, 0x33); }
`;

/** The constants each argument (or each eightbyte of an aggregate argument) carries in SOURCE. */
const ARGS: Record<string, number[][]> = {
  f1: [[0x11], [0x22], [0x1111, 0x2222], [0x44]],
  f2: [[0x11], [0x22]],
  f3: [[0x1111, 0x2222, 0x3333], [0x11]],
  f4: [[0x1111], [0x11]],
  f5: [[0x11], [0x22], [0x33], [0x44], [0x55], [0x66], [0x77], [0x1111, 0x2222]],
  f6: [[0x11], [0x22], [0x33]],
};

const X86_REGS: Record<string, string> = { edi: 'rdi', esi: 'rsi', edx: 'rdx', ecx: 'rcx', r8d: 'r8', r9d: 'r9', rdi: 'rdi', rsi: 'rsi', rdx: 'rdx', rcx: 'rcx', r8: 'r8', r9: 'r9' };

/**
 * constant -> the argument register holding it when fN is called, per caller, from objdump:
 * the last value written to each register wins (GCC may use one as scratch first).
 */
function registersOf(disassembly: string, arm: boolean): Map<string, Map<number, string>> {
  const out = new Map<string, Map<number, string>>();
  let held: Map<string, number[]> | undefined;
  const finish = (name: string | undefined) => {
    if (!name || !held) return;
    const byConstant = new Map<number, string>();
    for (const [reg, constants] of held) for (const c of constants) byConstant.set(c, reg);
    out.set(name, byConstant);
  };
  let current: string | undefined;
  for (const line of disassembly.split('\n')) {
    const fn = /^[0-9a-f]+ <(call\d)>:/.exec(line);
    if (fn) {
      finish(current);
      current = fn[1]!;
      held = new Map();
      continue;
    }
    if (!held) continue;
    if (arm) {
      const mov = /\bmov\s+([xw])(\d+), #(0x[0-9a-f]+)/.exec(line);
      if (mov && Number(mov[2]) <= 7) held.set(`x${mov[2]}`, [Number(mov[3])]);
      // movk x0, #0x2222, lsl #32: a second constant in the upper half of the same register.
      const movk = /\bmovk\s+x(\d+), #(0x[0-9a-f]+), lsl #32/.exec(line);
      if (movk && Number(movk[1]) <= 7) held.get(`x${movk[1]}`)?.push(Number(movk[2]));
    } else {
      const m = /\bmov[lq]?\s+\$(0x[0-9a-f]+),%(\w+)/.exec(line);
      if (m && X86_REGS[m[2]!]) held.set(X86_REGS[m[2]!]!, [Number(m[1])]);
      const wide = /\bmovabs\s+\$0x([0-9a-f]+),%(\w+)/.exec(line);
      if (wide && X86_REGS[wide[2]!]) {
        // struct small {int a, b} packed in one register: both halves.
        const v = BigInt(`0x${wide[1]}`);
        held.set(X86_REGS[wide[2]!]!, [Number(v & 0xffffffffn), Number(v >> 32n)]);
      }
    }
  }
  finish(current);
  return out;
}

describe.each([
  ['x86-64 System V', 'gcc', [], EM_X86_64, false],
  ['AArch64 AAPCS64', 'aarch64-linux-gnu-gcc', [], EM_AARCH64, true],
] as const)('%s: argument locations agree with GCC', (_name, cc, flags, machine, arm) => {
  let dir: string;
  let regs: Map<string, Map<number, string>>;
  let iface: ObjectDwarfInterface;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'relinkable-abi-'));
    writeFileSync(join(dir, 'calls.c'), SOURCE);
    execFileSync(cc, [...flags, '-O2', '-g', '-fno-pic', '-c', 'calls.c', '-o', 'calls.o'], { cwd: dir });
    const objdump = arm ? 'aarch64-linux-gnu-objdump' : 'objdump';
    regs = registersOf(execFileSync(objdump, ['-d', '--no-show-raw-insn', join(dir, 'calls.o')], { encoding: 'utf8' }), arm);
    iface = new ObjectDwarfInterface(new DwarfFile(ElfFile.open(join(dir, 'calls.o'))), 'calls.o');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(Object.keys(ARGS))('%s', (fn) => {
    const decl = iface.declaredFunction(fn)!;
    const layout = callLayout(decl.graph, decl.type, machine)!;
    const seen = regs.get(`call${fn.slice(1)}`)!;
    ARGS[fn]!.forEach((constants, i) => {
      const where = layout.args[i]!.where;
      const registers = where.startsWith('stack') || where.includes('address of a copy') ? [] : where.split('+');
      const actual = constants.map((c) => seen.get(c));
      if (registers.length === 0) {
        // Passed in memory: GCC loads none of its constants into an argument register.
        expect(actual, `${fn} argument ${i + 1} (${where})`).toEqual(constants.map(() => undefined));
      } else {
        expect(actual, `${fn} argument ${i + 1} (${where})`).toEqual(registers.length === constants.length ? registers : constants.map(() => registers[0]));
      }
    });
  });

  it('a struct returned in memory takes the first register on x86-64 only', () => {
    const f2 = iface.declaredFunction('f2')!;
    const layout = callLayout(f2.graph, f2.type, machine)!;
    expect(layout.indirectResult).toBe(true);
    expect(layout.args.map((a) => a.where)).toEqual(arm ? ['x0', 'x1'] : ['rsi', 'rdx']);
  });
});

describe('comparing two prototypes at the machine level', () => {
  it('sees moves, widths and counts, and nothing for a renamed typedef', () => {
    const dir = mkdtempSync(join(tmpdir(), 'relinkable-abi-'));
    try {
      writeFileSync(
        join(dir, 'two.c'),
        `typedef unsigned int len_a; typedef unsigned int len_b; struct two { long a, b; }; struct three { long a, b, c; };
         extern int old_f(int a, len_a n, struct two s); extern int new_f(long a, len_b n, struct three s);
         extern int same_a(len_a n); extern int same_b(len_b count);
         int use(void) { struct two t = {1, 2}; struct three h = {1, 2, 3}; return old_f(1, 2, t) + new_f(1, 2, h) + same_a(1) + same_b(2); }`,
      );
      execFileSync('gcc', ['-O2', '-g', '-c', 'two.c', '-o', 'two.o'], { cwd: dir });
      const iface = new ObjectDwarfInterface(new DwarfFile(ElfFile.open(join(dir, 'two.o'))), 'two.o');
      const layout = (n: string) => callLayout(iface.graph, iface.declaredFunction(n)!.type, EM_X86_64)!;
      expect(compareCalls(layout('old_f'), layout('new_f'))).toEqual([
        { what: 'argument 1', before: 'rdi, 4 bytes', after: 'rdi, 8 bytes', kind: 'width' },
        { what: 'argument 3', before: 'rdx+rcx, 16 bytes', after: 'stack+0, 24 bytes', kind: 'moved' },
      ]);
      expect(compareCalls(layout('same_a'), layout('same_b'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// AAPCS64 beyond the integer registers, GCC as the oracle from the callee's side: each
// function returns one argument (or one member of it), so its -O2 code is a single move
// (or load) from where that argument arrives into the result register.
const AAPCS64_SOURCE = `
typedef float v4f __attribute__((vector_size(16)));
struct hfa3 { double x, y, z; };
struct hva2 { v4f a, b; };
struct big5 { double a, b, c, d, e; };
double hfa_z(double a, struct hfa3 h, float f) { return h.z; }
float after_hfa(double a, struct hfa3 h, float f) { return f; }
double big_e(struct big5 b, double c) { return b.e; }
long after_big(struct big5 b, long n) { return n; }
double fp_after_big(struct big5 b, double c, double d) { return d; }
v4f hva_b(int i, struct hva2 h) { return h.b; }
struct hfa3 ret_hfa(double x, double y, double z) { struct hfa3 h = { z, y, x }; return h; }
struct big5 ret_big(double v) { struct big5 b = { v, v, v, v, 1.0 }; return b; }
int variadic_fixed(const char *fmt, int a, ...) { return a; }
extern int report(const char *fmt, int a, ...);
int variadic_call(void) { return report("x", 0x22, 0x33, 7.0); }
`;

describe('AArch64 AAPCS64: HFAs, HVAs, composites over 16 bytes, x8, variadics, against aarch64-linux-gnu-gcc', () => {
  let dir: string;
  let code: Map<string, string[]>;
  let iface: ObjectDwarfInterface;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'relinkable-aapcs64-'));
    writeFileSync(join(dir, 'aapcs.c'), AAPCS64_SOURCE);
    execFileSync('aarch64-linux-gnu-gcc', ['-O2', '-g', '-fno-pic', '-c', 'aapcs.c', '-o', 'aapcs.o'], { cwd: dir });
    code = new Map();
    let current: string[] | undefined;
    for (const line of execFileSync('aarch64-linux-gnu-objdump', ['-d', '--no-show-raw-insn', join(dir, 'aapcs.o')], { encoding: 'utf8' }).split('\n')) {
      const fn = /^[0-9a-f]+ <(\w+)>:/.exec(line);
      if (fn) code.set(fn[1]!, (current = []));
      else if (current && /^\s+[0-9a-f]+:\t/.test(line)) current.push(line.replace(/^\s+[0-9a-f]+:\t/, '').replace(/\s+\/\/.*$/, '').replace(/\t/g, ' ').trim());
    }
    iface = new ObjectDwarfInterface(new DwarfFile(ElfFile.open(join(dir, 'aapcs.o'))), 'aapcs.o');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const layout = (fn: string) => {
    const d = iface.definedFunction(fn)!;
    return callLayout(d.graph, d.type, EM_AARCH64)!;
  };

  it('an HFA of three doubles takes v1-v3 after a double in v0; the float after it v4 (GCC reads h.z from d3, f from s4)', () => {
    expect(layout('hfa_z').args.map((a) => a.where)).toEqual(['v0', 'v1+v2+v3', 'v4']);
    expect(code.get('hfa_z')).toContain('fmov d0, d3');
    expect(code.get('after_hfa')).toContain('fmov s0, s4');
  });

  it('an HVA of two 16-byte vectors takes v0+v1, the int before it w0 (GCC returns h.b from v1)', () => {
    expect(layout('hva_b').args.map((a) => a.where)).toEqual(['x0', 'v0+v1']);
    expect(code.get('hva_b')).toContain('mov v0.16b, v1.16b');
  });

  it('five doubles are no HFA: over 16 bytes, passed as the address of a copy in x0; the next long in x1, the next doubles in v0, v1', () => {
    expect(layout('big_e').args.map((a) => a.where)).toEqual(['x0 (address of a copy)', 'v0']);
    expect(code.get('big_e')).toContain('ldr d0, [x0, #32]');
    expect(layout('after_big').args.map((a) => a.where)).toEqual(['x0 (address of a copy)', 'x1']);
    expect(code.get('after_big')).toContain('mov x0, x1');
    expect(layout('fp_after_big').args.map((a) => a.where)).toEqual(['x0 (address of a copy)', 'v0', 'v1']);
    expect(code.get('fp_after_big')).toContain('fmov d0, d1');
  });

  it('results: an HFA comes back in v0-v2, a 40-byte struct through the address in x8', () => {
    const hfa = layout('ret_hfa');
    expect([hfa.result?.where, hfa.indirectResult]).toEqual(['v0', false]);
    expect(code.get('ret_hfa')).toEqual(expect.arrayContaining(['fmov d0, d2', 'fmov d2, d3']));
    const big = layout('ret_big');
    expect([big.result?.where, big.indirectResult, big.args.map((a) => a.where)]).toEqual(['memory (address in x8)', true, ['v0']]);
    expect(code.get('ret_big')).toContain('str d1, [x8, #32]');
  });

  it('variadics: the fixed arguments where a fixed prototype puts them; on Linux the anonymous ones follow in registers too', () => {
    const v = layout('variadic_fixed');
    expect([v.variadic, v.args.map((a) => a.where)]).toEqual([true, ['x0', 'x1']]);
    expect(code.get('variadic_fixed')).toContain('mov w0, w1');
    // report("x", 0x22, 0x33, 7.0): 0x33 in w2, 7.0 in d0 (not on the stack as Apple's arm64 ABI would put them).
    expect(code.get('variadic_call')).toEqual(expect.arrayContaining(['mov w1, #0x22', 'mov w2, #0x33', 'fmov d0, #7.000000000000000000e+00']));
  });
});
