import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readCpucaps } from '../../../src/arch/arm64/cpucaps.js';
import { decodeArm64Alternatives } from '../../../src/arch/arm64/alternatives.js';
import { ElfFile } from '../../../src/elf/index.js';
import { debianKernel, debianModule } from '../../support/corpus.js';
import { execFileSync } from 'node:child_process';
import { readelfSymbols } from '../../support/readelf.js';
import { gccMacroValues } from '../x86/oracles.js';
import { checkJson, summary } from '../../support/run.js';

// The generated cpucaps header of Debian's arm64 kernels: cpucaps.h in 6.1, cpucap-defs.h from v6.3.
const HEADER = {
  '6.1.170-arm64': 'usr/src/linux-headers-6.1.0-47-arm64/arch/arm64/include/generated/asm/cpucaps.h',
  '6.12.117-arm64': 'usr/src/linux-headers-6.12.117+deb12-arm64/arch/arm64/include/generated/asm/cpucap-defs.h',
} as const;
type Version = keyof typeof HEADER;
const header = (v: Version) => join(debianKernel(v), HEADER[v]);
const JITTER_61 = () => debianModule('6.1.170-arm64', 'crypto/jitterentropy_rng.ko');

describe('cpucap numbers of the Debian arm64 kernels, with gcc as the oracle', () => {
  it.each(Object.keys(HEADER) as Version[])('%s: every ARM64_ number is the one gcc computes', (version) => {
    const caps = readCpucaps(header(version));
    const gcc = gccMacroValues(header(version), /^ARM64_/);
    for (const [name, number] of gcc) expect([name, caps.number(name)]).toEqual([name, number]);
    expect(gcc.size).toBeGreaterThan(80);
    expect(caps.count).toBe(version === '6.1.170-arm64' ? 85 : 102);
  });

  it('decodes both ways: HAS_LSE_ATOMICS is 26 in 6.1 and 37 in 6.12, where 26 is HAS_GENERIC_AUTH', () => {
    const old = readCpucaps(header('6.1.170-arm64'));
    const next = readCpucaps(header('6.12.117-arm64'));
    expect([old.number('ARM64_HAS_LSE_ATOMICS'), next.number('HAS_LSE_ATOMICS')]).toEqual([26, 37]);
    expect([old.names(26), next.names(26)]).toEqual([['ARM64_HAS_LSE_ATOMICS'], ['ARM64_HAS_GENERIC_AUTH']]);
    expect(next.names(500)).toEqual([]);
  });
});

describe('arm64 .altinstructions, with readelf -r as the oracle', () => {
  it('jitterentropy_rng.ko: two callback alternatives (alt_cb_patch_nops) on cap 26, at the sites their PREL32 relocations name', () => {
    const entries = decodeArm64Alternatives(ElfFile.open(JITTER_61()));
    // readelf -rW: each 12-byte entry has orig_offset at +0 (into .text), alt_offset at +4 (the callback).
    const out = execFileSync('readelf', ['-rW', JITTER_61()], { encoding: 'utf8' });
    const table = out.slice(out.indexOf("'.rela.altinstructions'")).split('\n\n')[0]!;
    const relocs = [...table.matchAll(/^([0-9a-f]{16})\s+\S+\s+(\S+)\s+[0-9a-f]+\s+(.*)$/gm)].map((m) => `${Number.parseInt(m[1]!, 16)} ${m[2]} ${m[3]}`);
    expect(relocs).toEqual([
      '0 R_AARCH64_PREL32 .text + eac', '4 R_AARCH64_PREL32 alt_cb_patch_nops + 0', '12 R_AARCH64_PREL32 .text + fe0', '16 R_AARCH64_PREL32 alt_cb_patch_nops + 0',
    ]);
    // The function holding each site, as readelf's symbol table says (FUNC symbols of .text).
    const holder = (at: number) => readelfSymbols(JITTER_61()).find((x) => x.type === 'FUNC' && Number(x.value) <= at && at < Number(x.value) + x.size)!;
    const where = (at: number) => `${holder(at).name}+0x${(at - Number(holder(at).value)).toString(16)}`;
    expect(entries.map((e) => `${e.site.section}+0x${e.site.offset.toString(16)} ${e.site.function}+0x${e.site.functionOffset!.toString(16)} cap ${e.cap} ${e.flagNames.join()} ${e.origLen}/${e.altLen}`)).toEqual([
      `.text+0xeac ${where(0xeac)} cap 26 CALLBACK 4/0`,
      `.text+0xfe0 ${where(0xfe0)} cap 26 CALLBACK 4/0`,
    ]);
  });
});

describe('the arm64-cpucap-numbers entry on real modules', () => {
  it('a hit: 6.1.170 jitterentropy_rng.ko against 6.12.117, built with 6.1.170: cap 26 now means HAS_GENERIC_AUTH', async () => {
    const { report } = await checkJson([JITTER_61(), '--kernel', debianKernel('6.12.117-arm64'), '--built-with', debianKernel('6.1.170-arm64')]);
    const f = report.findings.filter((x) => x.id === 'cpu-feature-renumbered');
    expect(summary({ ...report, findings: f })).toEqual(['runtime cpu-feature-renumbered ARM64_HAS_LSE_ATOMICS']);
    expect(f[0]!.message).toBe(
      '2 alternatives (first at jent_kcapi_random+0x2c) are gated on cpucap 26 (CALLBACK): ARM64_HAS_LSE_ATOMICS when compiled, ARM64_HAS_GENERIC_AUTH in the new kernel (ARM64_HAS_LSE_ATOMICS is now 37)',
    );
    expect([f[0]!.before, f[0]!.after]).toEqual(['26 = ARM64_HAS_LSE_ATOMICS', '26 = ARM64_HAS_GENERIC_AUTH']);
  });

  it('without --built-with: a review naming what the new kernel calls the number', async () => {
    const { report } = await checkJson([JITTER_61(), '--kernel', debianKernel('6.12.117-arm64')]);
    const f = report.findings.filter((x) => x.id === 'cpu-feature-renumbered');
    expect(f.map((x) => `${x.severity} ${x.message}`)).toEqual([
      'review the frozen alternatives are gated on 1 feature numbers, which the new kernel names 26 ARM64_HAS_GENERIC_AUTH; without the cpucaps header of the kernel the object was built in (--built-with) it cannot be confirmed that they meant the same',
    ]);
  });

  it('a clean miss: the same module against its own kernel, told what it was built with', async () => {
    const { report } = await checkJson([JITTER_61(), '--kernel', debianKernel('6.1.170-arm64'), '--built-with', debianKernel('6.1.170-arm64')]);
    expect(report.findings.filter((x) => x.id === 'cpu-feature-renumbered')).toEqual([]);
  });
});
