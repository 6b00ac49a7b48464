import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ElfFile } from '../../src/elf/index.js';
import { LinkedObjects } from '../../src/elf/linked-objects.js';
import { NEW_KERNEL } from '../support/paths.js';
import { readelfSymbols, type ReadelfSymbol } from '../support/readelf.js';

/** What readelf's listing says, worked out the slow way: each local's STT_FILE group, in order. */
function groupsFromReadelf(symbols: readonly ReadelfSymbol[]): { files: string[]; objectOf: Map<number, number> } {
  const files: string[] = [];
  const objectOf = new Map<number, number>();
  for (const s of symbols) {
    if (s.bind !== 'LOCAL') continue;
    if (s.type === 'FILE') files.push(s.name);
    else if (files.length > 0) objectOf.set(s.index, files.length - 1);
  }
  return { files, objectOf };
}

describe('the input objects of a linked vmlinux, from its local symbols (fixtures/new-kernel/vmlinux against readelf)', () => {
  const path = join(NEW_KERNEL, 'vmlinux');
  const elf = ElfFile.open(path);
  const objects = LinkedObjects.of(elf)!;
  const symbols = readelfSymbols(path);
  const { files, objectOf } = groupsFromReadelf(symbols);

  it('has one object per STT_FILE symbol, named by it, in symbol-table order', () => {
    expect(objects.count).toBe(files.length);
    expect(Array.from({ length: objects.count }, (_, i) => objects.name(i))).toEqual(files);
  });

  it('puts every local symbol in the object of the STT_FILE symbol before it, and no global in any', () => {
    for (const s of symbols) {
      if (s.index === 0 || s.type === 'FILE') continue;
      expect(objects.objectOfSymbol(s.index), `${s.name} (${s.index})`).toBe(s.bind === 'LOCAL' ? objectOf.get(s.index) : undefined);
    }
  });

  it('gives each object its first local function', () => {
    for (let o = 0; o < files.length; o++) {
      const first = symbols.find((s) => s.type === 'FUNC' && s.bind === 'LOCAL' && objectOf.get(s.index) === o && s.ndx !== 'UND' && s.ndx !== 'ABS');
      expect(objects.functionAddress(o), files[o]).toBe(first?.value);
    }
  });

  it('names the objects of the nearest local symbols below and above every global variable', () => {
    const named = symbols.filter((s) => s.bind === 'LOCAL' && s.type !== 'FILE' && s.type !== 'SECTION' && s.name !== '' && /^\d+$/.test(s.ndx) && objectOf.has(s.index));
    const globals = symbols.filter((s) => s.bind !== 'LOCAL' && s.type === 'OBJECT' && /^\d+$/.test(s.ndx));
    expect(globals.length).toBeGreaterThan(3);
    for (const g of globals) {
      const same = named.filter((s) => s.ndx === g.ndx);
      const below = same.filter((s) => s.value <= g.value).sort((a, b) => (a.value === b.value ? a.index - b.index : a.value < b.value ? -1 : 1)).at(-1);
      const above = same.filter((s) => s.value > g.value).sort((a, b) => (a.value === b.value ? a.index - b.index : a.value < b.value ? -1 : 1))[0];
      expect(objects.neighbours(Number(g.ndx), g.value), g.name).toEqual({
        below: below && objectOf.get(below.index),
        above: above && objectOf.get(above.index),
      });
    }
  });

  it('finds the object of a local symbol by name', () => {
    expect(objects.objectsOfLocals(['heap']).map((o) => objects.name(o))).toEqual(['core.c']);
    expect(objects.objectsOfLocals(['heap', 'prim_registered', 'no_such_symbol_anywhere']).map((o) => objects.name(o))).toEqual(['core.c', 'prim.c']);
    expect(objects.objectsOfLocals(['no_such_symbol_anywhere'])).toEqual([]);
  });
});
