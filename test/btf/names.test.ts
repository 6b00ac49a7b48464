import { describe, expect, it } from 'vitest';
import { debianModule, debianVmlinux } from '../support/corpus.js';
import { loadBtf } from './load.js';

/** The hashed name index against a plain scan: every named type is found under its name and kind, and nothing else is. */
describe('name lookups', () => {
  it('find every named type of the Debian 6.12.117 vmlinux, and only types of that name', () => {
    const btf = loadBtf(debianVmlinux('6.12.117'));
    const byName = new Map<string, number[]>();
    for (const id of btf.ids()) {
      const name = btf.name(id);
      if (!name) continue;
      const key = `${btf.kind(id)} ${name}`;
      const list = byName.get(key);
      if (list) list.push(id);
      else byName.set(key, [id]);
    }
    expect(byName.size).toBeGreaterThan(60_000);
    for (const [key, ids] of byName) {
      const space = key.indexOf(' ');
      expect(btf.idsNamed(key.slice(space + 1), Number(key.slice(0, space)))).toEqual(ids);
    }
    expect(btf.idsNamed('ratelimit_state').length).toBe(1);
    expect(btf.idsNamed('')).toEqual([]);
    expect(btf.idsNamed('no such type')).toEqual([]);
  });

  it('in split BTF, find own types (named from own or base strings) after the base\'s', () => {
    const base = loadBtf(debianVmlinux('6.1.170'));
    const split = loadBtf(debianModule('6.1.170', 'arch/x86/kvm/kvm.ko'), base);
    expect(split.ownCount).toBeGreaterThan(1000);
    let fromBaseStrings = 0;
    for (const id of split.ownIds()) {
      const name = split.name(id);
      if (!name) continue;
      if (split.nameOff(id) < split.strings.start) fromBaseStrings++;
      const found = split.idsNamed(name, split.kind(id));
      expect(found).toContain(id);
      expect(found.every((x) => split.name(x) === name)).toBe(true);
      expect(found).toEqual([...found].sort((a, b) => a - b));
    }
    expect(fromBaseStrings).toBeGreaterThan(0);
  });
});
