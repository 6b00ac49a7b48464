import { describe, expect, it } from 'vitest';
import { Btf, BtfTypeGraph } from '../../src/btf/index.js';
import { InputError } from '../../src/errors.js';
import { BtfBuilder } from './builder.js';
import { btfBytes, loadBtf, treeFile } from './load.js';

const FILE = 'hostile.ko';

/** The call must fail as one InputError line that names the file (never a RangeError, never a hang). */
function inputError(fn: () => unknown, pattern: RegExp): InputError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected an InputError').toBeInstanceOf(InputError);
  const e = caught as InputError;
  expect(e.file).toBe(FILE);
  expect(e.message.startsWith(`${FILE}: `)).toBe(true);
  expect(e.message).not.toContain('\n');
  expect(e.problem).toMatch(pattern);
  return e;
}

const parse = (bytes: Buffer, base?: Btf): Btf => Btf.parse(bytes, FILE, base);

function sample(): BtfBuilder {
  const b = new BtfBuilder();
  const int = b.int('int', 4, 1);
  b.struct('pair', 8, [
    ['a', int, 0],
    ['b', int, 32],
  ]);
  return b;
}

function setU32(bytes: Buffer, off: number, value: number): Buffer {
  const out = Buffer.from(bytes);
  out.writeUInt32LE(value >>> 0, off);
  return out;
}

describe('the header', () => {
  it('rejects data shorter than the header', () => {
    inputError(() => parse(Buffer.alloc(10)), /^BTF header at \.BTF\+0x0: 10 bytes of data, shorter than the 24-byte header$/);
  });

  it('rejects a bad magic and an unknown version', () => {
    const good = sample().build();
    const badMagic = Buffer.from(good);
    badMagic.writeUInt16LE(0x1234, 0);
    inputError(() => parse(badMagic), /^BTF magic at \.BTF\+0x0: 0x1234 is neither/);
    const v2 = Buffer.from(good);
    v2[2] = 2;
    inputError(() => parse(v2), /^BTF version at \.BTF\+0x2: version 2/);
  });

  it('rejects type_len past the end, a truncated section, overlapping or misaligned sections', () => {
    const good = sample().build();
    inputError(() => parse(setU32(good, 12, 0x10000)), /^BTF type section at \.BTF\+0xc: .*runs past the end of the data/);
    inputError(() => parse(good.subarray(0, good.length - 3)), /^BTF string section at \.BTF\+0x14: .*runs past the end of the data/);
    inputError(() => parse(setU32(good, 16, 4)), /^BTF string section at \.BTF\+0x10: str_off 0x4 overlaps the type section/);
    inputError(() => parse(setU32(good, 8, 2)), /^BTF type_off at \.BTF\+0x8: 0x2 is not 4-byte aligned/);
    inputError(() => parse(setU32(good, 4, 0x1000)), /^BTF hdr_len at \.BTF\+0x4: 4096 runs past the end/);
    inputError(() => parse(setU32(good, 4, 8)), /^BTF hdr_len at \.BTF\+0x4: 8 is shorter than the 24-byte header/);
  });

  it('accepts a hdr_len larger than the header it knows, and keeps the extra bytes', () => {
    const extra = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const btf = parse(sample().build({ hdrLen: 32, extraHeader: extra }));
    expect(btf.header.hdrLen).toBe(32);
    expect([...btf.header.extra]).toEqual([...extra]);
    expect(btf.name(2)).toBe('pair');
  });

  it('rejects a string section that is empty, unterminated, or (in a base) does not start with the empty string', () => {
    const good = sample().build();
    const strOff = 24 + good.readUInt32LE(16);
    const unterminated = Buffer.from(good);
    unterminated[unterminated.length - 1] = 0x41;
    inputError(() => parse(unterminated), /^string section at \.BTF\+0x[0-9a-f]+: last string is not NUL-terminated$/);
    const noEmpty = Buffer.from(good);
    noEmpty[strOff] = 0x41;
    inputError(() => parse(noEmpty), /does not start with the empty string \(split BTF read without its base\?\)$/);
  });
});

describe('type records', () => {
  it('rejects a record whose vlen runs past the type section', () => {
    const b = sample();
    b.raw([b.str('big'), (4 << 24) | 1000, 8]);
    inputError(() => parse(b.build()), /^type \[3\] STRUCT at \.BTF\+0x[0-9a-f]+: record of 12012 bytes \(vlen 1000\) runs past the end of the type section/);
  });

  it('rejects a cut in the middle of a record, at every cut', () => {
    const good = sample().build();
    const typeLen = good.readUInt32LE(12);
    let parsed = 0;
    for (let cut = 0; cut < typeLen; cut += 4) {
      // type_len shortened, strings left where they are.
      const bytes = setU32(good, 12, cut);
      try {
        parse(bytes);
        parsed++;
      } catch (err) {
        expect(err).toBeInstanceOf(InputError);
        expect((err as InputError).problem).toMatch(/runs past the end of the type section|bytes left in the type section|past the last type/);
      }
    }
    expect(parsed).toBe(2); // 0 types, or only the int
  });

  it('rejects an unknown kind, and kind 0', () => {
    const b = sample();
    b.raw([0, 25 << 24, 0]);
    inputError(() => parse(b.build()), /^type \[3\] at \.BTF\+0x[0-9a-f]+: unknown kind 25$/);
    const c = sample();
    c.raw([0, 0, 0]);
    inputError(() => parse(c.build()), /unknown kind 0$/);
  });

  it('rejects a string offset out of range, in a type name and in a member name', () => {
    const b = sample();
    b.raw([0x7000, 2 << 24, 1]);
    inputError(() => parse(b.build()), /^type \[3\] PTR at \.BTF\+0x4c: name offset 28672 is past the end of the strings \(\d+ bytes\)$/);
    const c = sample();
    c.raw([c.str('s'), (4 << 24) | 1, 4, 0x9999, 1, 0]);
    inputError(() => parse(c.build()), /^member 0 of type \[3\] at \.BTF\+0x58: name offset 39321 is past the end/);
  });

  it('rejects a type id out of range, wherever it is held', () => {
    const cases: [string, (b: BtfBuilder) => void][] = [
      ['pointer', (b) => b.ptr(99)],
      ['member', (b) => b.struct('s', 4, [['x', 99, 0]])],
      ['array index', (b) => b.array(1, 99, 4)],
      ['parameter', (b) => b.proto(1, [['p', 99]])],
      ['return', (b) => b.proto(99, [])],
      ['datasec entry', (b) => b.datasec('.data', 4, [[99, 0, 4]])],
    ];
    for (const [, add] of cases) {
      const b = sample();
      add(b);
      inputError(() => parse(b.build()), /^type \[3\] \w+ at \.BTF\+0x[0-9a-f]+: refers to type id 99, past the last type \(3\)$/);
    }
  });

  it('rejects reference loops: a self-referential typedef, a pointer cycle, a loop through qualifiers and arrays', () => {
    const self = sample();
    self.typedef('loop_t', 3);
    inputError(() => parse(self.build()), /^type \[3\] TYPEDEF at \.BTF\+0x[0-9a-f]+: reference loop \[3\] -> \[3\]$/);
    const pointers = sample();
    pointers.ptr(4);
    pointers.ptr(3);
    inputError(() => parse(pointers.build()), /reference loop \[3\] -> \[4\] -> \[3\]$/);
    const mixed = sample();
    mixed.qualifier('CONST', 4);
    mixed.qualifier('VOLATILE', 5);
    mixed.array(6, 1, 2);
    mixed.typedef('t', 3);
    inputError(() => parse(mixed.build()), /reference loop \[3\] -> \[4\] -> \[5\] -> \[6\] -> \[3\]$/);
  });

  it('accepts what C allows: a struct that points at itself', () => {
    const b = sample();
    const list = b.struct('list_head', 16, [
      ['next', 4, 0],
      ['prev', 4, 64],
    ]);
    b.ptr(list);
    const btf = parse(b.build());
    const g = new BtfTypeGraph(btf);
    expect(g.node(list)).toMatchObject({ kind: 'struct', name: 'list_head', size: 16 });
    expect(g.node(4)).toEqual({ kind: 'pointer', target: list });
  });

  it('rejects values that only decoding shows: INT sizes and widths, linkage', () => {
    const b = sample();
    const badInt = b.int('odd', 3, 0, 24);
    const wideInt = b.int('wide', 4, 0, 40);
    const badFunc = b.func('f', 1, 7);
    const badVar = b.variable('v', 1, 9);
    const btf = parse(b.build());
    inputError(() => btf.type(badInt), /^type \[3\] INT at \.BTF\+0x[0-9a-f]+: size 3 is not 1, 2, 4, 8 or 16$/);
    inputError(() => btf.type(wideInt), /nr_bits 40 do not fit in 4 bytes$/);
    inputError(() => btf.type(badFunc), /^type \[5\] FUNC .*linkage 7/);
    inputError(() => btf.type(badVar), /^type \[6\] VAR .*linkage 9/);
  });

  it('rejects a FUNC whose type is not a FUNC_PROTO when a lookup uses it', () => {
    const b = sample();
    b.func('confused', 2);
    const g = new BtfTypeGraph(parse(b.build()));
    inputError(() => g.functionByName('confused'), /^type \[3\] FUNC 'confused' at \.BTF\+0x[0-9a-f]+: type_id 2 is a STRUCT, not a FUNC_PROTO$/);
  });

  it('rejects split BTF whose byte order differs from its base', async () => {
    const { swapByteOrder } = await import('./builder.js');
    const base = parse(sample().build());
    const split = new BtfBuilder({ typeCount: base.typeCount, stringLength: base.strings.total });
    split.ptr(2);
    inputError(() => parse(swapByteOrder(split.build()), base), /byte order differs from the base BTF's/);
  });
});

/** A small deterministic PRNG, so a failing mutation can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    s ^= s >>> 13;
    return s >>> 0;
  };
}

/** Parse, decode every own type, build every node, look every FUNC up: only InputError may escape. */
function exercise(bytes: Buffer, base?: Btf): 'ok' | 'input-error' {
  try {
    const btf = parse(bytes, base);
    const g = new BtfTypeGraph(btf);
    for (const id of btf.ownIds()) {
      const t = btf.type(id);
      g.node(id);
      g.locate(id);
      if (t.kind === 'FUNC' && t.name) g.functionsByName(t.name);
      if (t.kind === 'STRUCT' && t.name) g.typeByName('struct', t.name);
    }
    return 'ok';
  } catch (err) {
    if (err instanceof InputError && err.file === FILE && !err.message.includes('\n')) return 'input-error';
    throw err;
  }
}

describe('mutated real BTF', () => {
  it('split BTF of the tree 6.1.170 gcm.ko with random bytes changed: parses or fails as an InputError', () => {
    const base = loadBtf(treeFile('6.1.170', 'vmlinux'));
    const good = btfBytes(treeFile('6.1.170', 'crypto/gcm.ko'));
    expect(exercise(good, base)).toBe('ok');
    const next = prng(0x5eed);
    const outcomes = { ok: 0, 'input-error': 0 };
    for (let round = 0; round < 3000; round++) {
      const bytes = Buffer.from(good);
      const flips = 1 + (next() % 4);
      for (let i = 0; i < flips; i++) {
        // Mostly the type section (where the structure is), sometimes the header.
        const off = next() % 8 === 0 ? next() % 24 : 24 + (next() % (bytes.length - 24));
        bytes[off] = next() & 0xff;
      }
      outcomes[exercise(bytes, base)]++;
    }
    expect(outcomes.ok).toBeGreaterThan(0);
    expect(outcomes['input-error']).toBeGreaterThan(0);
  });

  it('every header word of a real vmlinux BTF set to extreme values: an InputError, never a RangeError', () => {
    const good = btfBytes(treeFile('6.1.170', 'vmlinux'));
    for (const off of [4, 8, 12, 16, 20]) {
      for (const value of [0xffffffff, 0x7fffffff, good.length, good.length - 24, 1, 3]) {
        const outcome = exercise(setU32(good, off, value));
        expect(['ok', 'input-error']).toContain(outcome);
      }
    }
  });
});

describe('mismatch detection on hostile split BTF', () => {
  it('fails as an InputError on an unterminated split string section (never loops)', async () => {
    const { checkSplitBase, splitFacts } = await import('../../src/btf/index.js');
    const base = parse(sample().build());
    const split = new BtfBuilder({ typeCount: base.typeCount, stringLength: base.strings.total });
    split.typedef('pair_t', 2);
    const bytes = split.build();
    bytes[bytes.length - 1] = 0x41;
    inputError(() => splitFacts(bytes, FILE), /^string section at \.BTF\+0x[0-9a-f]+: last string is not NUL-terminated$/);
    inputError(() => checkSplitBase(bytes, FILE, base), /last string is not NUL-terminated$/);
  });

  it('random bytes changed in a real module: a verdict or an InputError', async () => {
    const { checkSplitBase } = await import('../../src/btf/index.js');
    const base = loadBtf(treeFile('6.1.170', 'vmlinux'));
    const good = btfBytes(treeFile('6.1.170', 'crypto/gcm.ko'));
    expect(checkSplitBase(good, FILE, base).consistent).toBe(true);
    const next = prng(0xbad5eed);
    let verdicts = 0;
    for (let round = 0; round < 1000; round++) {
      const bytes = Buffer.from(good);
      for (let i = 0, n = 1 + (next() % 3); i < n; i++) bytes[next() % bytes.length] = next() & 0xff;
      try {
        checkSplitBase(bytes, FILE, base);
        verdicts++;
      } catch (err) {
        if (!(err instanceof InputError) || err.file !== FILE) throw err;
      }
    }
    expect(verdicts).toBeGreaterThan(0);
  });
});
