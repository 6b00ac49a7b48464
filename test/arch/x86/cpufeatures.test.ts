import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCpufeatures, readCpufeatures } from '../../../src/arch/x86/cpufeatures.js';
import { shortFeatureName, wordBit } from '../../../src/facts/x86-headers.js';
import { InputError } from '../../../src/errors.js';
import { debianAsmHeader, VERSIONS } from './corpus.js';
import { gccMacroValues } from './oracles.js';

const header = (v: (typeof VERSIONS)[number]) => debianAsmHeader(v, 'cpufeatures.h');
// cpufeatures.h includes these two unless their guards are set; their contents are not feature numbers.
const GUARDS = ['_ASM_X86_REQUIRED_FEATURES_H', '_ASM_X86_DISABLED_FEATURES_H'];

describe('cpufeatures.h of the three Debian kernels, with gcc as the oracle', () => {
  it.each(VERSIONS)('%s: every X86_FEATURE_/X86_BUG_ number is the one gcc computes', (version) => {
    const f = readCpufeatures(header(version));
    expect(f.ncapints).toBe(22);
    expect(f.nbugints).toBe(2);
    expect(f.unresolved).toEqual([]);
    const gcc = gccMacroValues(header(version), /^X86_(FEATURE|BUG)_/, GUARDS);
    const unconditional = f.features.filter((x) => x.conditions.length === 0);
    expect(new Map(unconditional.map((x) => [x.name, x.number]))).toEqual(gcc);
    // X86_BUG_ESPFIX exists only under CONFIG_X86_32; gcc agrees when told so.
    expect(f.features.filter((x) => x.conditions.length > 0).map((x) => `${x.name} ${x.conditions.join(' && ')}`)).toEqual(['X86_BUG_ESPFIX CONFIG_X86_32']);
    expect(gccMacroValues(header(version), /^X86_BUG_ESPFIX$/, [...GUARDS, 'CONFIG_X86_32']).get('X86_BUG_ESPFIX')).toBe(f.number('X86_BUG_ESPFIX'));
  });

  it('CLEAR_CPU_BUF and LFENCE_RDTSC per version: CLEAR_CPU_BUF moved from 11*32+18 to 3*32+18 in 6.12, where LFENCE_RDTSC was', () => {
    const at = (v: (typeof VERSIONS)[number], name: string) => wordBit(readCpufeatures(header(v)).number(name)!);
    expect(at('6.1.170', 'CLEAR_CPU_BUF')).toBe('11*32+18');
    expect(at('6.1.192', 'CLEAR_CPU_BUF')).toBe('11*32+18');
    expect(at('6.12.117', 'CLEAR_CPU_BUF')).toBe('3*32+18');
    expect(at('6.1.170', 'LFENCE_RDTSC')).toBe('3*32+18');
    expect(at('6.1.192', 'LFENCE_RDTSC')).toBe('3*32+18');
    expect(at('6.12.117', 'LFENCE_RDTSC')).toBe('20*32+2');
  });

  it('the inverse map: 370 and 114 name different features in 6.1 and 6.12', () => {
    const old = readCpufeatures(header('6.1.170'));
    const next = readCpufeatures(header('6.12.117'));
    expect(old.names(370)).toEqual(['X86_FEATURE_CLEAR_CPU_BUF']);
    expect(next.names(370)).toEqual(['X86_FEATURE_SGX_EDECCSSA']);
    expect(old.names(114)).toEqual(['X86_FEATURE_LFENCE_RDTSC']);
    expect(next.names(114)).toEqual(['X86_FEATURE_CLEAR_CPU_BUF']);
    expect(next.names(20 * 32 + 2)).toEqual(['X86_FEATURE_LFENCE_RDTSC']);
    // Every name maps back to its number.
    for (const f of [old, next]) for (const x of f.features) expect(f.names(x.number)).toContain(x.name);
    // No number is shared in these headers.
    expect(old.aliases().size + next.aliases().size).toBe(0);
  });

  it('bugs are numbered after NCAPINTS words: X86_BUG(n) = 22*32 + n', () => {
    const f = readCpufeatures(header('6.12.117'));
    expect(f.get('X86_BUG_F00F')).toMatchObject({ kind: 'bug', number: 704, word: 22, bit: 0, cpuinfoName: 'f00f' });
    expect(f.get('BUG_SRSO')).toMatchObject({ number: 704 + 32, word: 23, bit: 0 });
    expect(f.get('X86_BUG_VMSCAPE')!.number).toBe(704 + 32 + 10);
    expect(f.features.filter((x) => x.kind === 'bug').every((x) => x.number >= 22 * 32 && x.number < 24 * 32)).toBe(true);
    expect(f.features.filter((x) => x.kind === 'feature').every((x) => x.number < 22 * 32)).toBe(true);
    expect(shortFeatureName('X86_BUG_SRSO')).toBe('BUG_SRSO');
    expect(shortFeatureName('X86_FEATURE_CLEAR_CPU_BUF')).toBe('CLEAR_CPU_BUF');
    // 6.1 marks hidden features with "" in the comment; 6.12 dropped that convention.
    expect(readCpufeatures(header('6.1.170')).get('CLEAR_CPU_BUF')!.cpuinfoName).toBe('');
    expect(f.get('CLEAR_CPU_BUF')!.cpuinfoName).toBeUndefined();
  });

  it('what moved between 6.1.170 and 6.1.192 (same LTS) and 6.12.117', () => {
    const a = readCpufeatures(header('6.1.170'));
    const b = readCpufeatures(header('6.1.192'));
    const c = readCpufeatures(header('6.12.117'));
    const moved = (x: typeof a, y: typeof a) => x.features.filter((f) => y.get(f.name) && y.number(f.name) !== f.number).map((f) => f.name);
    expect(moved(a, b)).toEqual([]);
    expect(b.features.length - a.features.length).toBe(4);
    expect(moved(a, c).length).toBeGreaterThan(0);
    expect(moved(a, c)).toContain('X86_FEATURE_CLEAR_CPU_BUF');
  });
});

describe('header variants', () => {
  const dir = mkdtempSync(join(tmpdir(), 'relinkable-cpufeatures-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('NCAPINTS in cpufeature.h next to cpufeatures.h (older kernels)', () => {
    writeFileSync(join(dir, 'cpufeature.h'), '#define NCAPINTS 10 /* N 32-bit words */\n#define NBUGINTS 1\n#define X86_BUG(x) (NCAPINTS*32 + (x))\n');
    writeFileSync(join(dir, 'cpufeatures.h'), '#define X86_FEATURE_FPU ( 0*32+ 0) /* "fpu" Onboard FPU */\n#define X86_BUG_F00F X86_BUG(0)\n');
    const f = readCpufeatures(join(dir, 'cpufeatures.h'));
    expect(f.ncapints).toBe(10);
    expect(f.number('X86_BUG_F00F')).toBe(320);
  });

  it('aliases: several names for one number', () => {
    const f = parseCpufeatures({
      file: 'aliases.h',
      text: [
        '#define NCAPINTS 2',
        '#define X86_FEATURE_A (1*32 + 3)',
        '/* multi-line',
        '   comment */ #define X86_FEATURE_B X86_FEATURE_A',
        '#define X86_FEATURE_C \\',
        '        ((1 << 5) + 32)',
      ].join('\n'),
    });
    expect(f.names(35)).toEqual(['X86_FEATURE_A', 'X86_FEATURE_B']);
    expect(f.get('B')).toMatchObject({ aliasOf: 'X86_FEATURE_A', line: 4 });
    expect(f.number('C')).toBe(64);
    expect([...f.aliases()]).toEqual([[35, ['X86_FEATURE_A', 'X86_FEATURE_B']]]);
  });

  it('bad headers: one-line InputErrors, and no hang on self-referencing or exploding macros', () => {
    const err = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        expect((e as Error).message).not.toContain('\n');
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(err(() => parseCpufeatures({ file: 'x.h', text: 'int main(void) { return 0; }\n' }))).toBe('x.h: no X86_FEATURE_ or X86_BUG_ defines: not a cpufeatures.h');
    expect(err(() => parseCpufeatures({ file: 'x.h', text: '#define X86_BUG(x) (NCAPINTS*32 + (x))\n#define X86_BUG_F00F X86_BUG(0)\n' }))).toBe(
      'x.h: X86_BUG_* are numbered after NCAPINTS, which neither x.h nor any other header given defines',
    );
    expect(err(() => parseCpufeatures({ file: 'x.h', text: '#define NCAPINTS (NCAPINTS+1)\n#define X86_FEATURE_A 1\n' }))).toBe('x.h: line 1: NCAPINTS is not a usable number ((NCAPINTS+1))');
    expect(err(() => readCpufeatures(join(dir, 'missing.h')))).toBe(`${join(dir, 'missing.h')}: no such file`);
    const exploding = ['#define A0 1', ...Array.from({ length: 60 }, (_, i) => `#define A${i + 1} (A${i}*A${i}+A${i})`), '#define X86_FEATURE_BIG A60', '#define X86_FEATURE_LOOP X86_FEATURE_LOOP2', '#define X86_FEATURE_LOOP2 X86_FEATURE_LOOP', '#define X86_FEATURE_SHIFT (1 << 4000)', '#define X86_FEATURE_OK 7', '#define X86_FEATURE_UNTERMINATED ((3'];
    const started = Date.now();
    const f = parseCpufeatures({ file: 'hostile.h', text: exploding.join('\n') });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(f.features.map((x) => x.name)).toEqual(['X86_FEATURE_OK']);
    expect(f.unresolved.map((x) => x.name)).toEqual(['X86_FEATURE_BIG', 'X86_FEATURE_LOOP', 'X86_FEATURE_LOOP2', 'X86_FEATURE_SHIFT', 'X86_FEATURE_UNTERMINATED']);
  });
});
