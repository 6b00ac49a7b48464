import { describe, expect, it } from 'vitest';
import { compareSignatures, renameCandidates, renameScore, signatureOf, writeSignature, type Signature } from '../../src/checks/support/candidates.js';
import { typeRef, type TypeGraph, type TypeNode } from '../../src/graph/type-graph.js';

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

/** Signatures as C writes them: [return type, ...parameter types]. */
const sig = (returns: string, ...params: string[]): Signature => ({ returns, params, variadic: false });

describe('rename candidates ranked by prototype', () => {
  const functions = (name: string) => (name === 'kmalloc_caches' ? 'data' : 'function') as 'data' | 'function';

  it('strscpy: the candidate with the same prototype (sized_strscpy) ranks above closer names that take other types', () => {
    // Debian 6.12.117: strscpy is a macro over sized_strscpy; the 6.1 prototype is ssize_t strscpy(char *, const char *, size_t).
    const prototypes = {
      missing: sig('ssize_t', 'char *', 'const char *', 'size_t'),
      of: (name: string) =>
        ({
          sized_strscpy: sig('ssize_t', 'char *', 'const char *', 'size_t'),
          nla_strscpy: sig('ssize_t', 'char *', 'const struct nlattr *', 'size_t'),
          ucs2_strscpy: sig('ssize_t', 'ucs2_char_t *', 'const ucs2_char_t *', 'size_t'),
        })[name],
    };
    const names = ['nla_strscpy', 'ucs2_strscpy', 'sized_strscpy'];
    // By name alone the shortest added prefix wins.
    expect(renameCandidates('strscpy', 'function', names, functions).map((c) => c.name)).toEqual(['nla_strscpy', 'ucs2_strscpy', 'sized_strscpy']);
    expect(renameCandidates('strscpy', 'function', names, functions, 3, prototypes)).toEqual([
      { name: 'sized_strscpy', score: 0.933, reason: 'adds the prefix sized_; same prototype ssize_t (char *, const char *, size_t)' },
      { name: 'nla_strscpy', score: 0.842, reason: 'adds the prefix nla_; but its prototype differs: parameter 2 is const struct nlattr *, not const char *' },
      { name: 'ucs2_strscpy', score: 0.805, reason: 'adds the prefix ucs2_; but its prototype differs: parameter 1 is ucs2_char_t *, not char *' },
    ]);
  });

  it('kmalloc_trace: a name that shares one part is offered when its prototype is the same (__kmalloc_cache_noprof), not otherwise', () => {
    const names = ['kmalloc_caches', '__kmalloc_noprof', '__kmalloc_cache_noprof', '__kmalloc_large_noprof', 'kmalloc_size_roundup', 'nf_log_trace'];
    expect(renameCandidates('kmalloc_trace', 'function', names, functions)).toEqual([]);
    const prototypes = {
      missing: sig('void *', 'struct kmem_cache *', 'gfp_t', 'size_t'),
      of: (name: string) =>
        ({
          __kmalloc_noprof: sig('void *', 'size_t', 'gfp_t'),
          __kmalloc_cache_noprof: sig('void *', 'struct kmem_cache *', 'gfp_t', 'size_t'),
          __kmalloc_large_noprof: sig('void *', 'size_t', 'gfp_t'),
          kmalloc_size_roundup: sig('size_t', 'size_t'),
          nf_log_trace: sig('void', 'struct net *', 'u_int8_t', 'unsigned int', 'const struct sk_buff *', 'const struct net_device *', 'const struct net_device *', 'const struct nf_loginfo *', 'const char *'),
        })[name],
    };
    expect(renameCandidates('kmalloc_trace', 'function', names, functions, 3, prototypes)).toEqual([
      { name: '__kmalloc_cache_noprof', score: 0.694, reason: 'shares 1 of 2 name parts; same prototype void *(struct kmem_cache *, gfp_t, size_t)' },
    ]);
  });

  it('kvmalloc_node: a name that keeps the whole old name outranks a weaker name with the same prototype', () => {
    const prototypes = {
      missing: sig('void *', 'size_t', 'gfp_t', 'int'),
      of: (name: string) =>
        ({
          __kvmalloc_node_noprof: sig('void *', 'size_t', 'kmem_buckets *', 'gfp_t', 'int'),
          __kmalloc_large_node_noprof: sig('void *', 'size_t', 'gfp_t', 'int'),
        })[name],
    };
    const ranked = renameCandidates('kvmalloc_node', 'function', ['__kmalloc_large_node_noprof', '__kvmalloc_node_noprof'], functions, 3, prototypes);
    expect(ranked.map((c) => [c.name, c.score])).toEqual([
      ['__kvmalloc_node_noprof', 0.792],
      ['__kmalloc_large_node_noprof', 0.666],
    ]);
    expect(ranked[0]!.reason).toBe('adds the suffix _noprof; but its prototype differs: takes 4 parameters, not 3');
  });

  it('a candidate whose prototype the new kernel does not tell keeps its name score; data is never asked', () => {
    const asked: string[] = [];
    const prototypes = { missing: sig('void *', 'size_t', 'gfp_t'), of: (name: string) => (asked.push(name), undefined) };
    const ranked = renameCandidates('__kmalloc', 'function', ['__kmalloc_noprof', 'kmalloc_caches'], functions, 3, prototypes);
    expect(ranked[0]).toEqual({ name: '__kmalloc_noprof', score: 0.89, reason: 'adds the suffix _noprof' });
    expect(asked).toEqual(['__kmalloc_noprof']);
  });

  it('compares and writes prototypes', () => {
    expect(compareSignatures(sig('int', 'char *'), sig('int', 'char *'))).toEqual({ same: true });
    expect(compareSignatures(sig('int', 'char *'), sig('long int', 'char *', 'size_t'))).toEqual({ same: false, agreeing: 1, of: 3, difference: 'takes 2 parameters, not 1' });
    expect(compareSignatures(sig('void'), { returns: 'void', params: ['const char *'], variadic: true })).toMatchObject({ same: false, difference: 'takes 1 parameter, not 0' });
    expect(writeSignature(sig('void *', 'size_t', 'gfp_t'))).toBe('void *(size_t, gfp_t)');
    expect(writeSignature(sig('int'))).toBe('int (void)');
    expect(writeSignature({ returns: 'int', params: ['const char *'], variadic: true })).toBe('int (const char *, ...)');
  });

  it('reads a prototype from a type graph, without the qualifiers of the parameters themselves', () => {
    // void *kmemdup(const void *const src, size_t len): the second const is the parameter's own.
    const nodes: TypeNode[] = [
      { kind: 'void' },
      { kind: 'qualifier', qualifier: 'const', target: typeRef(0) },
      { kind: 'pointer', target: typeRef(1) },
      { kind: 'qualifier', qualifier: 'const', target: typeRef(2) },
      { kind: 'int', name: 'long unsigned int', size: 8, encoding: 'unsigned' },
      { kind: 'typedef', name: 'size_t', target: typeRef(4) },
      { kind: 'pointer', target: typeRef(0) },
      { kind: 'function', returns: typeRef(6), params: [{ name: 'src', type: typeRef(3) }, { name: 'len', type: typeRef(5) }], variadic: false, prototyped: true },
      { kind: 'function', returns: typeRef(6), params: [], variadic: false, prototyped: false },
    ];
    const graph: TypeGraph = { source: { format: 'btf', file: 'vmlinux' }, pointerSize: 8, node: (ref) => nodes[ref]!, locate: (ref) => `id ${ref}` };
    expect(signatureOf({ name: 'kmemdup', graph, type: typeRef(7), location: '' })).toEqual(sig('void *', 'const void *', 'size_t'));
    expect(signatureOf({ name: 'old_style', graph, type: typeRef(8), location: '' })).toBeUndefined();
  });
});
