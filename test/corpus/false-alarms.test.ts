import { describe, expect, it } from 'vitest';
import { debianKernel, debianModule } from '../support/corpus.js';
import { checkJson } from '../support/run.js';

/**
 * False alarms and misses on real Debian bytes (issue 9), each pinned to what the kernels'
 * sources say is true.
 */

describe('rename candidates ranked by prototype: 6.1.170 lrw.ko against 6.12.117', async () => {
  const { report } = await checkJson([debianModule('6.1.170', 'crypto/lrw.ko'), '--kernel', debianKernel('6.12.117')]);
  const undefinedSymbol = (name: string) => report.findings.find((f) => f.id === 'undefined-symbol' && f.symbol === name)!;

  it('strscpy: sized_strscpy (the function the 6.12 strscpy macro calls, same prototype) first, nla_strscpy and ucs2_strscpy after', () => {
    const f = undefinedSymbol('strscpy');
    expect(f.candidates).toEqual([
      { name: 'sized_strscpy', score: 0.933, reason: 'adds the prefix sized_; same prototype ssize_t (char *, const char *, size_t)' },
      { name: 'nla_strscpy', score: 0.842, reason: 'adds the prefix nla_; but its prototype differs: parameter 2 is const struct nlattr *, not const char *' },
      { name: 'ucs2_strscpy', score: 0.805, reason: 'adds the prefix ucs2_; but its prototype differs: parameter 1 is ucs2_char_t *, not char *' },
    ]);
    expect(f.after).toBe('not found; probably renamed to sized_strscpy');
  });

  it('kmalloc_trace: __kmalloc_cache_noprof, the one export with its prototype (kmalloc_trace became kmalloc_trace_noprof, then __kmalloc_cache_noprof)', () => {
    const f = undefinedSymbol('kmalloc_trace');
    expect(f.candidates).toEqual([{ name: '__kmalloc_cache_noprof', score: 0.694, reason: 'shares 1 of 2 name parts; same prototype void *(struct kmem_cache *, gfp_t, size_t)' }]);
    expect(f.after).toBe('not found; closest name __kmalloc_cache_noprof');
  });
});
