import { describe, expect, it } from 'vitest';
import { renameCandidates, renameScore } from '../../src/checks/support/candidates.js';

describe('rename candidates', () => {
  // The exports of Debian 6.12.117 nearest to 6.1's __kmalloc, with their kinds.
  const pool = [
    { name: '__kmalloc_noprof', kind: 'function' },
    { name: '__kmalloc_node_noprof', kind: 'function' },
    { name: '__kmalloc_cache_noprof', kind: 'function' },
    { name: '__kmalloc_large_noprof', kind: 'function' },
    { name: '__vmalloc', kind: 'function' },
    { name: 'bio_kmalloc', kind: 'function' },
    { name: 'kmalloc_caches', kind: 'data' },
    { name: 'kfree', kind: 'function' },
  ] as const;
  const names = pool.map((p) => p.name);
  const kindOf = (name: string) => pool.find((p) => p.name === name)!.kind;

  it('rank the name with an added qualifier above one a letter away (__kmalloc -> __kmalloc_noprof, not __vmalloc)', () => {
    const ranked = renameCandidates('__kmalloc', 'function', names, kindOf, 5);
    expect(ranked.map((c) => c.name)).toEqual(['__kmalloc_noprof', 'bio_kmalloc', '__kmalloc_node_noprof', '__kmalloc_cache_noprof', '__kmalloc_large_noprof']);
    expect(ranked[0]).toEqual({ name: '__kmalloc_noprof', score: 0.89, reason: 'adds the suffix _noprof' });
  });

  it('count a change between function and data against a candidate', () => {
    const asData = renameCandidates('kmalloc_cache', 'data', names, kindOf, 3);
    const asFunction = renameCandidates('kmalloc_cache', 'function', names, kindOf, 3);
    expect(asData[0]!.name).toBe('kmalloc_caches');
    expect(asFunction.find((c) => c.name === 'kmalloc_caches')?.score ?? 0).toBeLessThan(asData[0]!.score);
  });

  it('explain each kind of rename', () => {
    expect(renameScore('foo', '__foo')).toEqual({ score: 0.95, reason: 'same name, different leading underscores' });
    expect(renameScore('dev_open', 'net_dev_open')?.reason).toBe('adds the prefix net_');
    expect(renameScore('dev_open_locked', 'dev_open')?.reason).toBe('drops the suffix _locked');
    expect(renameScore('totally_different', 'xyz')).toBeUndefined();
  });

  it('offer nothing rather than noise', () => {
    expect(renameCandidates('jent_hash_time', 'function', names, kindOf)).toEqual([]);
  });
});
