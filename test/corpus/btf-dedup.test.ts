import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/run/analyze.js';
import { bpftoolRaw } from '../btf/bpftool.js';
import { builtTree } from '../support/corpus.js';
import { ROOT } from '../support/paths.js';

const ORACLE = join(ROOT, 'scripts', 'corpus', 'relink-oracle.sh');

/**
 * The real build as oracle: scripts/corpus/relink-oracle.sh relinks vmlinux with the frozen
 * object in a copy of the tree (kept with RELINKABLE_KEEP_TMP=1), so pahole encodes vmlinux
 * BTF from its DWARF and resolve_btfids runs. Returns resolve_btfids' "multiple IDs" names,
 * in the order it printed them, and the structs and unions the relinked vmlinux BTF holds
 * more than once that the tree's own did not.
 */
function relinkBtf(tree: string, frozen: string, pathInTree: string): { warned: string[]; duplicated: string[] } {
  const r = spawnSync(ORACLE, [tree, frozen, pathInTree], { encoding: 'utf8', timeout: 900_000, env: { ...process.env, RELINKABLE_KEEP_TMP: '1' } });
  const kept = /relink-oracle: kept (\S+)/.exec(r.stderr)?.[1];
  try {
    if (r.status !== 0) throw new Error(`relink oracle failed (${r.status}): ${r.stderr.slice(-2000)}`);
    if (!kept) throw new Error(`relink oracle kept no build: ${r.stderr.slice(-500)}`);
    const log = readFileSync(join(kept, 'relink.log'), 'utf8');
    const warned = [...log.matchAll(/^WARN: multiple IDs found for '([^']+)'/gm)].map((m) => m[1]!);
    const before = duplicatedAggregates(join(tree, 'vmlinux'));
    const duplicated = duplicatedAggregates(join(kept, 'build', 'vmlinux')).filter((n) => !before.includes(n));
    return { warned, duplicated };
  } finally {
    if (kept) rmSync(kept, { recursive: true, force: true });
  }
}

/** "struct task_struct" for each struct or union name a vmlinux BTF holds more than once (bpftool). */
function duplicatedAggregates(vmlinux: string): string[] {
  const counts = new Map<string, number>();
  for (const m of bpftoolRaw(vmlinux).matchAll(/^\[\d+\] (STRUCT|UNION) '([^']+)'/gm)) {
    const key = `${m[1]!.toLowerCase()} ${m[2]}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].filter(([, n]) => n > 1).map(([k]) => k).sort();
}

async function predicted(frozen: string, tree: string) {
  const record = await analyze([frozen], { kernel: tree });
  return record.findings
    .filter((f) => f.id === 'btf-type-duplicated')
    .map((f) => ({ symbol: f.symbol!, evidence: f.evidence, data: f.data as { name: string; duplicated: number; others: string[] } }));
}

describe('the BTF warnings of a relink into vmlinux, predicted, against the real build (pahole, resolve_btfids)', () => {
  it(
    '6.1.170 kernel/bpf/map_in_map.o into 6.1.192 (task_struct, user_struct and more changed): 80 structs duplicated, resolve_btfids warns for the 6 BTF_IDs name',
    async () => {
      const frozen = join(builtTree('6.1.170'), 'kernel', 'bpf', 'map_in_map.o');
      const findings = await predicted(frozen, builtTree('6.1.192'));
      expect(findings.map((f) => f.symbol).sort()).toEqual(['struct bpf_array', 'struct bpf_map', 'struct bpf_prog', 'struct file', 'struct task_struct', 'struct vm_area_struct']);
      const sets = Object.fromEntries(findings.map((f) => [f.symbol, f.evidence.filter((e) => e.label === 'BTF_ID').map((e) => e.detail!.replace(/^at 0x[0-9a-f]+, /, ''))]));
      expect(sets).toEqual({
        'struct bpf_array': ['in list array_map_btf_ids'],
        'struct bpf_map': ['in list btf_bpf_map_id'],
        'struct bpf_prog': ['in list btf_bpf_prog_id'],
        'struct file': ['in list btf_tracing_ids'],
        'struct task_struct': ['in list btf_tracing_ids'],
        'struct vm_area_struct': ['in list btf_tracing_ids'],
      });
      const { warned, duplicated } = relinkBtf(builtTree('6.1.192'), frozen, 'kernel/bpf/map_in_map.o');
      expect(warned.sort()).toEqual(findings.map((f) => f.data.name).sort());
      // Every struct the build duplicates, not only those BTF_IDs name, is counted in the message.
      expect(duplicated).toHaveLength(80);
      expect(findings.every((f) => f.data.duplicated === duplicated.length)).toBe(true);
      expect(duplicated).toEqual(expect.arrayContaining([...findings.map((f) => f.symbol), ...findings[0]!.data.others]));
    },
    1_000_000,
  );

  it(
    'a clean miss: 6.1.192 crypto/sha256_generic.o relinked into its own tree: no finding, no warning, nothing duplicated',
    async () => {
      const frozen = join(builtTree('6.1.192'), 'crypto', 'sha256_generic.o');
      expect(await predicted(frozen, builtTree('6.1.192'))).toEqual([]);
      expect(relinkBtf(builtTree('6.1.192'), frozen, 'crypto/sha256_generic.o')).toEqual({ warned: [], duplicated: [] });
    },
    1_000_000,
  );
});
