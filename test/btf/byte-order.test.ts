import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Btf } from '../../src/btf/index.js';
import { bpftoolRaw, firstDifference, parseRaw, recordsOf } from './bpftool.js';
import { swapByteOrder } from './builder.js';
import { btfBytes, treeFile } from './load.js';

/**
 * BTF is written in the producer's byte order. Our corpus is x86-64 (little-endian), so the
 * big-endian case is the real tree BTF with every word swapped, written as raw BTF files
 * that bpftool reads too: the oracle confirms the swapped files are valid BTF.
 */
describe('big-endian BTF', () => {
  const dir = mkdtempSync(join(tmpdir(), 'relinkable-btf-be-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the tree 6.1.170 vmlinux and gcm.ko, byte-swapped, read the same as bpftool reads them', () => {
    const vmlinuxLE = btfBytes(treeFile('6.1.170', 'vmlinux'));
    const moduleLE = btfBytes(treeFile('6.1.170', 'crypto/gcm.ko'));
    const vmlinuxBE = swapByteOrder(vmlinuxLE);
    const moduleBE = swapByteOrder(moduleLE);
    expect(vmlinuxBE.readUInt16BE(0)).toBe(0xeb9f);
    const vmlinuxPath = join(dir, 'vmlinux.be.btf');
    const modulePath = join(dir, 'gcm.be.btf');
    writeFileSync(vmlinuxPath, vmlinuxBE);
    writeFileSync(modulePath, moduleBE);

    const baseBE = Btf.parse(vmlinuxBE, vmlinuxPath);
    const baseLE = Btf.parse(vmlinuxLE, 'vmlinux');
    expect(baseBE.littleEndian).toBe(false);
    const ours = recordsOf(baseBE);
    expect(ours).toEqual(recordsOf(baseLE));
    expect(firstDifference(ours, parseRaw(bpftoolRaw(vmlinuxPath)))).toBeUndefined();

    const splitBE = Btf.parse(moduleBE, modulePath, baseBE);
    expect(recordsOf(splitBE)).toEqual(recordsOf(Btf.parse(moduleLE, 'gcm.ko', baseLE)));
    expect(firstDifference(recordsOf(splitBE), parseRaw(bpftoolRaw(modulePath, vmlinuxPath)))).toBeUndefined();
  });
});
