import { describe, expect, it } from 'vitest';
import { Btf, checkSplitBase, splitFacts, splitOwnTypes, type SplitBaseProblem } from '../../src/btf/index.js';
import { debianModule, debianVmlinux } from '../support/corpus.js';
import { BtfBuilder } from './builder.js';
import { btfBytes, loadBtf, treeFile } from './load.js';

const DEBIAN_MODULES: Record<string, string[]> = {
  '6.1.170': ['crypto/gcm.ko', 'crypto/jitterentropy_rng.ko', 'arch/x86/crypto/aesni-intel.ko', 'arch/x86/kvm/kvm.ko', 'arch/x86/kvm/kvm-amd.ko', 'arch/x86/kvm/kvm-intel.ko'],
  '6.1.192': ['crypto/gcm.ko', 'crypto/jitterentropy_rng.ko', 'arch/x86/crypto/aesni-intel.ko', 'arch/x86/kvm/kvm.ko', 'arch/x86/kvm/kvm-amd.ko', 'arch/x86/kvm/kvm-intel.ko'],
  '6.12.117': ['crypto/gcm.ko', 'arch/x86/crypto/aesni-intel.ko', 'arch/x86/kvm/kvm.ko', 'arch/x86/kvm/kvm-amd.ko', 'arch/x86/kvm/kvm-intel.ko'],
};
const VERSIONS = Object.keys(DEBIAN_MODULES);

const bases = new Map<string, Btf>();
function debianBase(version: string): Btf {
  let b = bases.get(version);
  if (!b) bases.set(version, (b = loadBtf(debianVmlinux(version))));
  return b;
}

describe('what split BTF says about its base, without the base', () => {
  it.each(VERSIONS.flatMap((v) => DEBIAN_MODULES[v]!.map((m) => [v, m] as const)))('Debian %s %s: the inferred string length is its vmlinux\'s', (version, rel) => {
    const base = debianBase(version);
    const facts = splitFacts(btfBytes(debianModule(version, rel)), rel);
    expect(facts.baseStringLength).toBe(base.strings.total);
    expect(facts.minBaseTypeCount).toBeLessThanOrEqual(base.typeCount);
    expect(facts.ownCount).toBe(loadBtf(debianModule(version, rel), base).ownCount);
  });

  it('the premise of the inference and of "name inside a string": no real BTF names a string from its middle', () => {
    const files = [...VERSIONS.map(debianVmlinux), ...['6.1.170', '6.1.192', '6.12.117'].map((v) => treeFile(v, 'vmlinux'))];
    for (const file of files) {
      const btf = loadBtf(file);
      let names = 0;
      for (const id of btf.ids()) {
        const t = btf.type(id);
        const offs = [t.nameOff];
        if (t.kind === 'STRUCT' || t.kind === 'UNION') offs.push(...t.members.map((m) => m.nameOff));
        if (t.kind === 'ENUM' || t.kind === 'ENUM64') offs.push(...t.values.map((v) => v.nameOff));
        if (t.kind === 'FUNC_PROTO') offs.push(...t.params.map((p) => p.nameOff));
        for (const off of offs) {
          names++;
          if (!btf.strings.isStart(off)) throw new Error(`${file}: type [${id}] uses name offset ${off} inside a string`);
        }
      }
      expect(names).toBeGreaterThan(50_000);
    }
  });
});

describe('the types split BTF defines itself, without the base', () => {
  it('lists the named types whose names are its own strings, not those named by a base string', () => {
    const base = new BtfBuilder();
    const int = base.int('int', 4, 1);
    base.struct('list_head', 16, [['next', int, 0]]);
    const baseBtf = Btf.parse(base.build(), 'vmlinux');
    const split = new BtfBuilder({ typeCount: baseBtf.typeCount, stringLength: baseBtf.strings.total, lookup: (s) => (s === 'list_head' ? 5 : undefined) });
    split.struct('holder', 4, [['x', int, 0]]);
    const proto = split.proto(int, [['h', split.nextId - 1]]);
    split.func('my_kfunc', proto, 1);
    // Named by the base's string: a reader without the base cannot tell its name.
    split.struct('list_head', 24, [['next', int, 0]]);
    expect(splitOwnTypes(split.build(), 'mod.ko')).toEqual([
      { kind: 'struct', name: 'holder' },
      { kind: 'func', name: 'my_kfunc' },
    ]);
  });

  it.each(VERSIONS.flatMap((v) => DEBIAN_MODULES[v]!.map((m) => [v, m] as const)))('Debian %s %s: the same names as parsing it on its own vmlinux', (version, rel) => {
    const base = debianBase(version);
    const path = debianModule(version, rel);
    const parsed = loadBtf(path, base);
    const expected = [...parsed.ownIds()]
      .filter((id) => parsed.type(id).nameOff >= base.strings.total)
      .map((id) => ({ kind: parsed.type(id).kind.toLowerCase(), name: parsed.name(id) }));
    const own = splitOwnTypes(btfBytes(path), rel);
    expect(own.length).toBeGreaterThan(10);
    expect(own).toEqual(expected);
  });
});

describe('mismatch detection on a given base', () => {
  it.each(VERSIONS.flatMap((v) => DEBIAN_MODULES[v]!.map((m) => [v, m] as const)))('Debian %s %s on its own vmlinux: consistent', (version, rel) => {
    const check = checkSplitBase(btfBytes(debianModule(version, rel)), rel, debianBase(version));
    expect(check.findings).toEqual([]);
    expect(check.consistent).toBe(true);
  });

  it.each(
    VERSIONS.flatMap((v) =>
      DEBIAN_MODULES[v]!.flatMap((m) => VERSIONS.filter((other) => other !== v).map((other) => [v, m, other] as const)),
    ),
  )('Debian %s %s on the %s vmlinux: caught', (version, rel, other) => {
    const check = checkSplitBase(btfBytes(debianModule(version, rel)), rel, debianBase(other));
    expect(check.consistent).toBe(false);
    expect(check.counts['string-length']).toBe(1);
    // Beyond the header arithmetic, the types themselves contradict the base.
    const evidence = Object.keys(check.counts).filter((p) => p !== 'string-length') as SplitBaseProblem[];
    expect(evidence.length).toBeGreaterThan(0);
  });

  it('6.1.170 gcm.ko on 6.12.117: the names bpftool prints are offsets into the middle of 6.12 strings', () => {
    const check = checkSplitBase(btfBytes(debianModule('6.1.170', 'crypto/gcm.ko')), 'gcm.ko', debianBase('6.12.117'), { examples: 1000 });
    expect(check.facts.baseStringLength).toBe(debianBase('6.1.170').strings.total);
    expect(check.findings[0]!.detail).toMatch(/^built against a base with 1789996 bytes of strings; .* has 2045111$/);
    const inside = check.findings.filter((f) => f.problem === 'name-inside-string').map((f) => f.detail);
    expect(inside).toContain(`member 0 name of [112769] STRUCT: offset 42365 is inside a string ('HP_VIRT_NET_DEAD')`);
    expect(check.counts['kind-contradiction']).toBeGreaterThan(0);
  });

  it('a 6.12.117 module on the smaller 6.1.170 base does not even parse: ids past the last type', () => {
    const check = checkSplitBase(btfBytes(debianModule('6.12.117', 'crypto/gcm.ko')), 'gcm.ko', debianBase('6.1.170'));
    expect(check.counts['type-count']).toBe(1);
    expect(check.counts['unreadable']).toBe(1);
    expect(check.findings.find((f) => f.problem === 'unreadable')!.detail).toMatch(/past the (last type|end of the strings)/);
  });

  it.each([
    ['6.1.170', 'crypto/gcm.ko'],
    ['6.1.192', 'crypto/gcm.ko'],
    ['6.12.117', 'crypto/gcm.ko'],
    ['6.12.117', 'crypto/ctr.ko'],
  ])('tree %s %s: consistent on its tree, caught on every other tree', (version, rel) => {
    const bytes = btfBytes(treeFile(version, rel));
    for (const other of ['6.1.170', '6.1.192', '6.12.117']) {
      const check = checkSplitBase(bytes, rel, loadBtf(treeFile(other, 'vmlinux')));
      expect(check.consistent, `${version} ${rel} on ${other}`).toBe(other === version);
      if (other !== version) {
        expect(check.counts['string-length']).toBe(1);
        expect(Object.keys(check.counts).length).toBeGreaterThan(1);
      }
    }
  });
});

describe('what detection cannot see', () => {
  it('a base with the same string length and type count but another layout is consistent', () => {
    const make = (size: number) => {
      const b = new BtfBuilder();
      const int = b.int('int', 4, 1);
      b.struct('config', size, [
        ['a', int, 0],
        ['b', int, size === 8 ? 32 : 96],
      ]);
      return Btf.parse(b.build(), `vmlinux-${size}`);
    };
    const old = make(8);
    const changed = make(16);
    expect(changed.typeCount).toBe(old.typeCount);
    expect(changed.strings.total).toBe(old.strings.total);
    const split = new BtfBuilder({ typeCount: old.typeCount, stringLength: old.strings.total });
    split.ptr(2);
    split.struct('holder', 8, [['cfg', 3, 0]]);
    const check = checkSplitBase(split.build(), 'mod.ko', changed);
    expect(check.consistent).toBe(true);
  });
});
