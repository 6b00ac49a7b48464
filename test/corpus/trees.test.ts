import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/report.js';
import { builtTree } from '../support/corpus.js';
import { ROOT } from '../support/paths.js';
import { checkJson } from '../support/run.js';

const ORACLE = join(ROOT, 'scripts', 'corpus', 'relink-oracle.sh');

/**
 * The real linker, the way a FIPS user relinks: the frozen object copied into a copy of the
 * build directory, kbuild kept from recompiling it, `make vmlinux` (scripts/corpus/relink-oracle.sh).
 */
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

describe('real kernel trees: predicted link errors are exactly what kbuild and ld report', () => {
  it('6.1.170 crypto/jitterentropy.o into 6.1.192: jent_memcpy, which the sibling kcapi object no longer defines', async () => {
    const frozen = join(builtTree('6.1.170'), 'crypto', 'jitterentropy.o');
    const { report } = await checkJson([frozen, '--kernel', builtTree('6.1.192')]);
    expect(predicted(report)).toEqual(['undefined jent_memcpy']);
    expect(report.frozen[0]!.replaces).toEqual({ found: true, name: 'crypto/jitterentropy.o', how: 'same-path', target: 'vmlinux' });
    expect(relinkTree(builtTree('6.1.192'), frozen, 'crypto/jitterentropy.o')).toEqual({ status: 1, lines: predicted(report) });
  });

  it('6.1.170 crypto/jitterentropy-kcapi.o into 6.12.117: the new jitterentropy.o needs what only the replaced object defined', async () => {
    const frozen = join(builtTree('6.1.170'), 'crypto', 'jitterentropy-kcapi.o');
    const { report } = await checkJson([frozen, '--kernel', builtTree('6.12.117')]);
    expect(predicted(report)).toEqual([
      'undefined __kmalloc',
      'undefined jent_hash_time',
      'undefined jent_kvzalloc',
      'undefined jent_kvzfree',
      'undefined jent_read_random_block',
    ]);
    const orphans = report.findings.filter((f) => f.id === 'orphaned-reference');
    expect(orphans.map((f) => f.symbol)).toEqual(['jent_hash_time', 'jent_kvzalloc', 'jent_kvzfree', 'jent_read_random_block']);
    for (const f of orphans) expect(f.evidence).toContainEqual({ label: 'referenced by', file: 'crypto/jitterentropy.o', detail: 'from the other objects of vmlinux.a' });
    expect(relinkTree(builtTree('6.12.117'), frozen, 'crypto/jitterentropy-kcapi.o')).toEqual({ status: 1, lines: predicted(report) });
  });

  it('a clean miss: 6.1.192 jitterentropy.o relinked into its own tree links', async () => {
    const frozen = join(builtTree('6.1.192'), 'crypto', 'jitterentropy.o');
    const { report } = await checkJson([frozen, '--kernel', builtTree('6.1.192')]);
    expect(predicted(report)).toEqual([]);
    expect(relinkTree(builtTree('6.1.192'), frozen, 'crypto/jitterentropy.o')).toEqual({ status: 0, lines: [] });
  });

  it('the trees are what the corpus script says: built with the requested options', () => {
    const config = execFileSync('grep', ['-E', '^CONFIG_(CRYPTO_JITTERENTROPY|MODVERSIONS|DEBUG_INFO_BTF|X86_KERNEL_IBT)=', join(builtTree('6.12.117'), '.config')], { encoding: 'utf8' });
    expect(config.trim().split('\n').sort()).toEqual([
      'CONFIG_CRYPTO_JITTERENTROPY=y',
      'CONFIG_DEBUG_INFO_BTF=y',
      'CONFIG_MODVERSIONS=y',
      'CONFIG_X86_KERNEL_IBT=y',
    ]);
  });
});
