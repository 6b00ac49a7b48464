import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/report.js';
import { builtTree, debianKernel } from '../support/corpus.js';
import { ROOT } from '../support/paths.js';
import { checkJson, summary } from '../support/run.js';
import { ElfFile } from '../../src/elf/index.js';
import { inferEntrySize } from '../../src/arch/x86/entries.js';

const ORACLE = join(ROOT, 'scripts', 'corpus', 'relink-oracle.sh');

/** The real linker as trees.test.ts runs it; on an arm64 tree the script relinks with aarch64-linux-gnu-ld. */
function relinkTree(tree: string, frozen: string, pathInTree: string): { status: number; lines: string[] } {
  const r = spawnSync(ORACLE, [tree, frozen, pathInTree], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0 && r.status !== 1) throw new Error(`relink oracle failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return { status: r.status, lines: r.stdout.trim().split('\n').filter(Boolean) };
}

function predicted(report: Report): string[] {
  return report.findings
    .filter((f) => f.severity === 'link')
    .map((f) => (f.id === 'duplicate-definition' ? `multiple ${f.symbol}` : `undefined ${f.symbol}`))
    .sort();
}

const KCAPI_61 = () => join(builtTree('6.1.170-arm64'), 'crypto', 'jitterentropy-kcapi.o');

describe('cross-built arm64 trees: predicted link errors are exactly what kbuild and aarch64-linux-gnu-ld report', () => {
  it('6.1.170 crypto/jitterentropy-kcapi.o into the 6.12.117 arm64 tree: the same five as on x86-64', async () => {
    const { report } = await checkJson([KCAPI_61(), '--kernel', builtTree('6.12.117-arm64')]);
    expect(predicted(report)).toEqual([
      'undefined __kmalloc',
      'undefined jent_hash_time',
      'undefined jent_kvzalloc',
      'undefined jent_kvzfree',
      'undefined jent_read_random_block',
    ]);
    expect(report.frozen[0]!.replaces).toEqual({ found: true, name: 'crypto/jitterentropy-kcapi.o', how: 'same-path', target: 'vmlinux' });
    expect(relinkTree(builtTree('6.12.117-arm64'), KCAPI_61(), 'crypto/jitterentropy-kcapi.o')).toEqual({ status: 1, lines: predicted(report) });
  });

  it('a clean miss: 6.1.170 jitterentropy.o relinked into its own arm64 tree links', async () => {
    const frozen = join(builtTree('6.1.170-arm64'), 'crypto', 'jitterentropy.o');
    const { report } = await checkJson([frozen, '--kernel', builtTree('6.1.170-arm64')]);
    expect(summary(report)).toEqual([]);
    expect(report.verdict).toBe('relinkable');
    expect(relinkTree(builtTree('6.1.170-arm64'), frozen, 'crypto/jitterentropy.o')).toEqual({ status: 0, lines: [] });
  });

  it('the arm64 build primitives on real objects: shadow call stack (-ffixed-x18) and pac-ret+leaf of the tree, against Debian arm64 6.12.117', async () => {
    const { report } = await checkJson([KCAPI_61(), '--kernel', debianKernel('6.12.117-arm64')]);
    const flags = report.findings.filter((f) => f.id === 'compiler-flag-changed').map((f) => `${f.symbol}: ${f.before} → ${f.after}`);
    expect(flags).toEqual(['-ffixed-x18: -ffixed-x18 → (no -ffixed-x18: x18 is a scratch register the object may clobber)', '-mbranch-protection: -mbranch-protection=pac-ret+leaf → -mbranch-protection=pac-ret']);
  });

  it('arm64 __ex_table on a real object: 12-byte entries in 6.1 as in 6.12, so arm64-exception-table-format is a clean miss; cap numbers decoded with --built-with the tree', async () => {
    const frozen = join(builtTree('6.1.170-arm64'), 'kernel', 'fork.o');
    // readelf -S: __ex_table 0x24 bytes, .rela__ex_table 0x90 bytes of 0x18-byte entries: 6 relocations, 2 per entry.
    const sections = execFileSync('readelf', ['-SW', frozen], { encoding: 'utf8' });
    expect(sections).toMatch(/ __ex_table\s+PROGBITS\s+0+ [0-9a-f]+ 000024 /);
    expect(sections).toMatch(/ \.rela__ex_table\s+RELA\s+0+ [0-9a-f]+ 000090 18 /);
    expect(inferEntrySize(ElfFile.open(frozen), '__ex_table', 2)).toMatchObject({ entrySize: 12, entries: 3, relocations: 6 });
    const { report } = await checkJson([frozen, '--kernel', builtTree('6.12.117-arm64'), '--built-with', builtTree('6.1.170-arm64')]);
    expect(report.frozen[0]!.replaces).toEqual({ found: true, name: 'kernel/fork.o', how: 'same-path', target: 'vmlinux' });
    expect(report.findings.filter((f) => f.signature === 'arm64-exception-table-format')).toEqual([]);
    // The tree's own cpucaps.h (6.1) and cpucap-defs.h (6.12) decode the object's alternatives.
    expect(report.findings.filter((f) => f.id === 'cpu-feature-renumbered').map((f) => `${f.before} → ${f.after}`)).toEqual([
      '24 = ARM64_HAS_IRQ_PRIO_MASKING → 24 = ARM64_HAS_FGT',
      '37 = ARM64_HAS_VIRT_HOST_EXTN → 37 = ARM64_HAS_LSE_ATOMICS',
      '52 = ARM64_UNMAP_KERNEL_AT_EL0 → 52 = ARM64_HAS_WFXT',
    ]);
  });

  it('the trees are what the corpus script says: arm64, position-independent, built with the requested options', () => {
    for (const v of ['6.1.170-arm64', '6.12.117-arm64']) {
      const header = execFileSync('readelf', ['-h', join(builtTree(v), 'vmlinux')], { encoding: 'utf8' });
      expect(header).toMatch(/Machine:\s+AArch64/);
      expect(header).toMatch(/Type:\s+DYN/);
    }
    const config = execFileSync('grep', ['-E', '^CONFIG_(CRYPTO_JITTERENTROPY|MODVERSIONS|DEBUG_INFO_BTF|ARM64_PTR_AUTH_KERNEL|SHADOW_CALL_STACK|STACKPROTECTOR_PER_TASK|DYNAMIC_FTRACE_WITH_CALL_OPS)=', join(builtTree('6.12.117-arm64'), '.config')], { encoding: 'utf8' });
    expect(config.trim().split('\n').sort()).toEqual([
      'CONFIG_ARM64_PTR_AUTH_KERNEL=y',
      'CONFIG_CRYPTO_JITTERENTROPY=y',
      'CONFIG_DEBUG_INFO_BTF=y',
      'CONFIG_DYNAMIC_FTRACE_WITH_CALL_OPS=y',
      'CONFIG_MODVERSIONS=y',
      'CONFIG_SHADOW_CALL_STACK=y',
      'CONFIG_STACKPROTECTOR_PER_TASK=y',
    ]);
  });
});
