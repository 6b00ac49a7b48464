import { describe, expect, it } from 'vitest';
import { debianModule, debianVmlinux } from '../support/corpus.js';
import { bpftoolRaw, firstDifference, parseRaw, recordsOf } from './bpftool.js';
import { loadBtf, treeFile } from './load.js';

/**
 * Every type, field by field, against `bpftool btf dump file X format raw`: ids, kinds,
 * names, sizes, type ids, vlen, member bit offsets and bitfield sizes, enumerator values,
 * prototype parameters, linkage, DATASEC entries.
 */

const TREES = ['6.1.170', '6.1.192', '6.12.117'];

describe.each(TREES)('tree %s vmlinux BTF', (version) => {
  it('equals bpftool, every type and every field', () => {
    const path = treeFile(version, 'vmlinux');
    const btf = loadBtf(path);
    const theirs = parseRaw(bpftoolRaw(path));
    const ours = recordsOf(btf);
    expect(ours.length).toBeGreaterThan(20_000);
    expect(firstDifference(ours, theirs)).toBeUndefined();
    expect(ours.length).toBe(theirs.length);
  });
});

describe.each(['6.1.170', '6.12.117'])('Debian %s vmlinux BTF', (version) => {
  it('equals bpftool, every type and every field', () => {
    const path = debianVmlinux(version);
    const btf = loadBtf(path);
    const theirs = parseRaw(bpftoolRaw(path));
    expect(btf.typeCount - 1).toBe(theirs.length);
    // Names and kinds of all ids first (the cheap view), then every field.
    expect(theirs.map((r) => `${r.id} ${r.kind} ${r.name}`)).toEqual(
      theirs.map((r) => `${r.id} ${btf.type(r.id).kind} ${btf.name(r.id) || '(anon)'}`),
    );
    expect(firstDifference(recordsOf(btf), theirs)).toBeUndefined();
  });
});

describe('split BTF of modules, on their vmlinux', () => {
  it.each([
    ['6.1.170', 'crypto/gcm.ko'],
    ['6.1.170', 'crypto/ctr.ko'],
    ['6.1.192', 'crypto/gcm.ko'],
    ['6.12.117', 'crypto/gcm.ko'],
    ['6.12.117', 'lib/crypto/gf128mul.ko'],
  ])('tree %s %s equals bpftool -B vmlinux', (version, rel) => {
    const vmlinux = treeFile(version, 'vmlinux');
    const module = treeFile(version, rel);
    const split = loadBtf(module, loadBtf(vmlinux));
    const theirs = parseRaw(bpftoolRaw(module, vmlinux));
    expect(theirs.length).toBeGreaterThan(0);
    expect(theirs[0]!.id).toBe(split.startId);
    expect(firstDifference(recordsOf(split), theirs)).toBeUndefined();
  });

  it.each([
    ['6.1.170', 'crypto/gcm.ko'],
    ['6.1.170', 'crypto/jitterentropy_rng.ko'],
  ])('Debian %s %s equals bpftool -B vmlinux', (version, rel) => {
    const vmlinux = debianVmlinux(version);
    const module = debianModule(version, rel);
    const split = loadBtf(module, loadBtf(vmlinux));
    expect(split.startId).toBe(loadBtf(vmlinux).typeCount);
    expect(firstDifference(recordsOf(split), parseRaw(bpftoolRaw(module, vmlinux)))).toBeUndefined();
  });
});

describe('split BTF read on the wrong base: the loader view', () => {
  it('6.1.170 gcm.ko on the 6.12.117 vmlinux reads exactly what bpftool prints, nonsense names included', () => {
    const module = debianModule('6.1.170', 'crypto/gcm.ko');
    const right = loadBtf(module, loadBtf(debianVmlinux('6.1.170')));
    const wrongBase = debianVmlinux('6.12.117');
    const wrong = loadBtf(module, loadBtf(wrongBase));
    const theirs = parseRaw(bpftoolRaw(module, wrongBase));
    expect(firstDifference(recordsOf(wrong), theirs)).toBeUndefined();
    // Same own types, shifted ids, other names: on 6.1.170 the first type is be128's
    // anonymous struct { a, b }; on 6.12.117 its members read as offsets into another string table.
    expect(wrong.ownCount).toBe(right.ownCount);
    expect(wrong.startId - right.startId).toBe(112769 - 100629);
    const ok = right.type(right.startId);
    const bad = wrong.type(wrong.startId);
    expect(ok.kind === 'STRUCT' && ok.members.map((m) => m.name)).toEqual(['a', 'b']);
    expect(bad.kind === 'STRUCT' && bad.members.map((m) => m.name)).toEqual(['HP_VIRT_NET_DEAD', 'cpu_cnt']);
    expect(right.name(right.startId + 1)).toBe('be128');
    expect(wrong.name(wrong.startId + 1)).toBe('_neigh_update');
  });
});
