import { describe, expect, it } from 'vitest';
import { decodeAlternatives, featureMeanings, inferAltEntrySize, type Alternatives } from '../../../src/arch/x86/alternatives.js';
import { readCpufeatures } from '../../../src/arch/x86/cpufeatures.js';
import { shortFeatureName, wordBit } from '../../../src/facts/x86-headers.js';
import { ElfFile } from '../../../src/elf/index.js';
import { readelfRelocations, readelfSections, readelfSymbols } from '../../support/readelf.js';
import { debianAsmHeader, kvm, treeObject, type Version } from './corpus.js';
import { objdumpDisassembly, objdumpLabelAt, readelfAddends } from './oracles.js';

const features = (v: Version) => readCpufeatures(debianAsmHeader(v, 'cpufeatures.h'));

function decode(version: Version, module: 'kvm-intel' | 'kvm-amd' | 'kvm'): Alternatives {
  const elf = ElfFile.open(kvm(version, module));
  try {
    return decodeAlternatives(elf);
  } finally {
    elf.close();
  }
}

describe('every .altinstructions entry of kvm-intel.ko and kvm-amd.ko, against readelf -r and objdump -d', () => {
  it.each([
    ['6.1.170', 'kvm-intel', 12, 54],
    ['6.12.117', 'kvm-intel', 14, 143],
    ['6.1.170', 'kvm-amd', 12, 64],
    ['6.12.117', 'kvm-amd', 14, 104],
  ] as const)('%s %s: %i-byte entries, %i of them', (version, module, size, count) => {
    const path = kvm(version, module);
    const alts = decode(version, module);
    expect(alts.entrySize).toBe(size);
    expect(alts.entries).toHaveLength(count);

    const relocs = readelfRelocations(path).filter((r) => r.section === '.rela.altinstructions');
    expect(relocs).toHaveLength(2 * count);
    const byOffset = new Map(relocs.map((r) => [Number(r.offset), r]));
    const addends = readelfAddends(path, '.rela.altinstructions');
    const disasm = objdumpDisassembly(path);
    const sizes = new Map(readelfSections(path).map((s) => [s.name, s.size]));
    const symbols = readelfSymbols(path);
    const innerLabels = new Set<string>();

    for (const e of alts.entries) {
      const instr = byOffset.get(e.offset)!;
      const repl = byOffset.get(e.offset + 4)!;
      expect(instr.type).toBe('R_X86_64_PC32');
      // All of them are against section symbols: the site is section + addend.
      expect(e.site.section).toBe(instr.symbol);
      expect(e.site.offset).toBe(addends.get(e.offset));
      expect(e.siteRelocation.symbol).toBe(instr.symbol);
      expect(e.replacement!.section).toBe(repl.symbol);
      expect(e.replacement!.offset).toBe(addends.get(e.offset + 4));
      expect(e.replacement!.offset + e.replacementlen).toBeLessThanOrEqual(sizes.get(e.replacement!.section)!);
      // The function objdump names the site in (or an inner assembler label of it: vmx_vmexit in __vmx_vcpu_run), and the site starts an instruction.
      const label = objdumpLabelAt(disasm, e.site.section, e.site.offset)!;
      if (label !== e.site.function) {
        const inner = symbols.find((s) => s.name === label)!;
        const fn = symbols.find((s) => s.name === e.site.function && s.type === 'FUNC')!;
        expect(inner.type, `entry ${e.index}: objdump says ${label}`).toBe('NOTYPE');
        expect(inner.value >= fn.value && inner.value < fn.value + BigInt(fn.size)).toBe(true);
        innerLabels.add(`${label} in ${e.site.function}`);
      }
      expect(disasm.instructions.get(e.site.section)!.has(e.site.offset), `entry ${e.index} at ${e.site.section}+${e.site.offset}`).toBe(true);
      if (e.replacementlen > 0 && e.replacement!.section === '.altinstr_replacement') {
        expect(disasm.instructions.get('.altinstr_replacement')!.has(e.replacement!.offset)).toBe(true);
      }
      expect(e.instrlen).toBeGreaterThanOrEqual(e.replacementlen);
      expect(e.feature).toBeLessThan(24 * 32);
    }
    expect([...innerLabels]).toEqual(module === 'kvm-intel' ? ['vmx_vmexit in __vmx_vcpu_run'] : []);
  });

  it('static_cpu_has() pairs: X86_FEATURE_ALWAYS (3*32+21) with a 5-byte jmp, then the feature with an empty replacement', () => {
    const alts = decode('6.1.170', 'kvm-intel');
    const [always, feature] = alts.entries;
    expect(always).toMatchObject({ feature: 117, instrlen: 5, replacementlen: 5, flags: 0 });
    expect(feature).toMatchObject({ feature: 370, instrlen: 5, replacementlen: 0 });
    // vmx.c: vmx->disable_fb_clear = !cpu_feature_enabled(X86_FEATURE_CLEAR_CPU_BUF) && …
    expect(feature!.site).toMatchObject({ section: '.text', function: 'vmx_update_fb_clear_dis' });
    expect(feature!.site).toEqual(always!.site);
    expect(features('6.1.170').names(117)).toEqual(['X86_FEATURE_ALWAYS']);
    expect(features('6.12.117').names(117)).toEqual(['X86_FEATURE_ALWAYS']);
  });

  it('flags: ALT_NOT in bit 15 of the 12-byte cpuid, ALT_FLAG_NOT/DIRECT_CALL in the high half of the 14-byte ft_flags', () => {
    for (const version of ['6.1.170', '6.12.117'] as const) {
      for (const module of ['kvm', 'kvm-intel', 'kvm-amd'] as const) {
        for (const e of decode(version, module).entries) {
          expect(e.flagNames.every((n) => n === 'NOT' || n === 'DIRECT_CALL')).toBe(true);
          if (version === '6.1.170') expect(e.raw).toBe(e.feature | (e.flags ? 0x8000 : 0));
          else expect(e.raw).toBe((e.feature | (e.flags << 16)) >>> 0);
        }
      }
    }
    // 6.1's ALT_NOT(X86_FEATURE_XENPV) etc. exist in kvm.ko.
    expect(decode('6.1.170', 'kvm').entries.some((e) => e.flagNames.includes('NOT'))).toBe(true);
  });
});

describe('what a 6.1.170 feature number means in 6.12.117', () => {
  const old = features('6.1.170');
  const next = features('6.12.117');

  it('kvm-intel.ko: cpuid 370 was CLEAR_CPU_BUF and is SGX_EDECCSSA; 114 was LFENCE_RDTSC and is CLEAR_CPU_BUF', () => {
    const meanings = featureMeanings(decode('6.1.170', 'kvm-intel').entries, old, next);
    const m370 = meanings.filter((m) => m.feature === 370);
    expect(m370.length).toBeGreaterThan(0);
    for (const m of m370) {
      expect(m).toMatchObject({ compiledAs: ['X86_FEATURE_CLEAR_CPU_BUF'], nowMeans: ['X86_FEATURE_SGX_EDECCSSA'], change: 'different' });
      expect([...m.movedTo]).toEqual([['X86_FEATURE_CLEAR_CPU_BUF', 3 * 32 + 18]]);
    }
    // The VERW in __vmx_vcpu_run (vmenter.S CLEAR_CPU_BUFFERS) is one of them.
    expect(m370.map((m) => m.entry.site.function)).toContain('__vmx_vcpu_run');
    expect(changes(meanings)).toEqual([
      '114 (3*32+18): LFENCE_RDTSC → CLEAR_CPU_BUF (LFENCE_RDTSC now 20*32+2)',
      '370 (11*32+18): CLEAR_CPU_BUF → SGX_EDECCSSA (CLEAR_CPU_BUF now 3*32+18)',
    ]);
  });

  it('kvm-amd.ko: 114 (LFENCE_RDTSC) now gates on CLEAR_CPU_BUF', () => {
    const meanings = featureMeanings(decode('6.1.170', 'kvm-amd').entries, old, next);
    expect(changes(meanings)).toEqual(['114 (3*32+18): LFENCE_RDTSC → CLEAR_CPU_BUF (LFENCE_RDTSC now 20*32+2)']);
  });

  it('6.12.117 objects read against their own header change nothing; 6.1.170 against 6.1.192 neither', () => {
    const own = featureMeanings(decode('6.12.117', 'kvm-intel').entries, next, next);
    expect(own.every((m) => m.change === 'same')).toBe(true);
    const lts = featureMeanings(decode('6.1.170', 'kvm-intel').entries, old, features('6.1.192'));
    expect(lts.every((m) => m.change === 'same')).toBe(true);
  });
});

function changes(meanings: ReturnType<typeof featureMeanings>): string[] {
  const out = new Set<string>();
  for (const m of meanings) {
    if (m.change === 'same') continue;
    const moved = [...m.movedTo].map(([n, to]) => `${shortFeatureName(n)} now ${wordBit(to)}`).join(', ');
    out.add(`${m.feature} (${wordBit(m.feature)}): ${m.compiledAs.map(shortFeatureName).join('/')} → ${m.nowMeans.map(shortFeatureName).join('/') || '(none)'}${moved ? ` (${moved})` : ''}`);
  }
  return [...out].sort();
}

describe('entry size inference', () => {
  it('12 for 6.1, 14 for 6.12, undefined without alternatives', () => {
    const gcm = ElfFile.open(treeObject('6.12.117', 'crypto/gcm.ko'));
    expect(inferAltEntrySize(gcm)).toBeUndefined();
    expect(decodeAlternatives(gcm)).toMatchObject({ entrySize: undefined, entries: [] });
    expect(inferAltEntrySize(ElfFile.open(kvm('6.1.170', 'kvm')))).toBe(12);
    expect(inferAltEntrySize(ElfFile.open(kvm('6.12.117', 'kvm')))).toBe(14);
  });
});
