import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BtfTypeGraph, readBtf } from '../../src/btf/index.js';
import { ElfFile, FileSource } from '../../src/elf/index.js';
import { debianVmlinux } from '../support/corpus.js';
import { BPFTOOL } from './bpftool.js';

/**
 * Opening the Debian 6.12.117 vmlinux (354 MB, .BTF 4.9 MB, 112,768 types), indexing its BTF
 * and looking up `struct ratelimit_state` and `___ratelimit`: lazily, in the order of
 * `bpftool btf dump file vmlinux format raw` (which decodes and prints everything).
 */
describe('reading the Debian 6.12.117 vmlinux BTF', () => {
  it('indexes without decoding, looks up in milliseconds, reads only the .BTF section', () => {
    const path = debianVmlinux('6.12.117');
    const t0 = performance.now();
    const elf = ElfFile.open(path);
    const t1 = performance.now();
    const btf = readBtf(elf)!;
    const t2 = performance.now();
    expect(btf.decodedCount).toBe(0);
    const g = new BtfTypeGraph(btf);
    const rs = g.typeByName('struct', 'ratelimit_state');
    const t3 = performance.now();
    const fn = g.functionByName('___ratelimit');
    const t4 = performance.now();
    expect(rs).toHaveLength(1);
    expect(fn).toBeDefined();
    expect(btf.typeCount).toBe(112_769);
    // Only what the lookups touched was decoded.
    expect(btf.decodedCount).toBeLessThan(10);
    const bytesRead = (elf.source as FileSource).bytesRead;
    expect(bytesRead).toBeLessThan(btf.bytes.length + 1_000_000);
    elf.close();

    const b0 = performance.now();
    const r = spawnSync(BPFTOOL, ['btf', 'dump', 'file', path, 'format', 'raw'], { maxBuffer: 1 << 30 });
    const b1 = performance.now();
    expect(r.status).toBe(0);

    const ms = (x: number) => Math.round(x * 10) / 10;
    const timings = { open: ms(t1 - t0), readAndIndex: ms(t2 - t1), struct: ms(t3 - t2), func: ms(t4 - t3), total: ms(t4 - t0), bpftoolRaw: ms(b1 - b0) };
    console.log(`BTF timings (ms): ${JSON.stringify(timings)}`);
    // Generous bounds: the point is the order of magnitude, not a benchmark.
    expect(t4 - t0).toBeLessThan(1000);
  });
});
