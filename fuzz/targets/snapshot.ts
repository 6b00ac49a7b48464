import type { FrozenObject } from '../../src/facts/frozen-object.js';
import { readFrozenObject } from '../../src/object/read.js';
import { readSnapshot } from '../../src/snapshot/read.js';
import { buildSnapshot, renderSnapshot } from '../../src/snapshot/write.js';
import { fixture, scratchFile, type FuzzTarget } from '../target.js';
import { walkTypes } from '../walk.js';

/** What a check reads of a frozen object: its interface's functions and variables with their types, its conventions. */
export function readInterface(frozen: FrozenObject): void {
  const own = frozen.compiledAgainst;
  for (const name of [...frozen.definitions.keys(), ...frozen.imports.keys()]) {
    const f = own?.definedFunction(name) ?? own?.declaredFunction(name);
    if (f) walkTypes(f.graph, [f.type]);
    const v = own?.variableNamed(name);
    if (v) walkTypes(v.graph, [v.type]);
  }
  own?.ownedStorage();
  void frozen.conventions;
}

/** An ABI snapshot (relinkable extract): validated against its schema, then read as a check reads a frozen object. */
export const snapshotTarget: FuzzTarget = {
  name: 'snapshot',
  input: 'an ABI snapshot (JSON)',
  seeds() {
    const out = new Map<string, Buffer>();
    for (const name of ['rng_driver.o', 'prim_driver.o', 'prim_mod.ko', 'rng_mod.ko']) {
      out.set(`${name}.abi.json`, Buffer.from(renderSnapshot(buildSnapshot(readFrozenObject(fixture('frozen', name))))));
    }
    return out;
  },
  file: (data) => scratchFile('fuzzed.abi.json', data),
  read(_data, path) {
    readInterface(readSnapshot(path));
  },
};
