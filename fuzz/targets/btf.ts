import { Btf, BtfTypeGraph, checkSplitBase, splitFacts, splitOwnTypes } from '../../src/btf/index.js';
import { typeRef } from '../../src/graph/type-graph.js';
import { fixtureSection, type FuzzTarget } from '../target.js';
import { walkTypes } from '../walk.js';

const FILE = 'fuzzed.ko';

/** Every type of a parsed BTF: its record, its name and its node in the type graph with all it refers to. */
function readAll(btf: Btf): void {
  const graph = new BtfTypeGraph(btf);
  const ids: number[] = [];
  for (let id = btf.startId; id < btf.startId + btf.typeCount; id++) {
    btf.type(id);
    btf.name(id);
    ids.push(id);
  }
  walkTypes(graph, ids.map(typeRef));
}

function sections(...from: [string, string][]): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [path, section] of from) {
    const bytes = fixtureSection(path, section);
    if (bytes) out.set(`${path.replace(/\//g, '-')}${section}`, bytes);
  }
  return out;
}

/** Base BTF, as vmlinux carries it. */
export const btfTarget: FuzzTarget = {
  name: 'btf',
  input: 'a .BTF section (base)',
  seeds: () => sections(['new-kernel/vmlinux', '.BTF'], ['old-kernel/vmlinux', '.BTF']),
  file: () => FILE,
  read(data) {
    readAll(Btf.parse(data, FILE, undefined, { section: '.BTF' }));
  },
};

let base: Btf | undefined;
/** The fixture kernel's vmlinux BTF, the base every split input is read on. */
function vmlinuxBtf(): Btf {
  base ??= Btf.parse(fixtureSection('new-kernel/vmlinux', '.BTF')!, 'fixtures/new-kernel/vmlinux', undefined, { section: '.BTF' });
  return base;
}

/** Split BTF, as a module carries it, on the fixture kernel's vmlinux BTF: parsed, its own types listed, its base checked. */
export const splitBtfTarget: FuzzTarget = {
  name: 'split-btf',
  input: "a module's .BTF section (split on the fixture vmlinux)",
  seeds: () => sections(['frozen/prim_mod.ko', '.BTF'], ['new-kernel/drivers/prim_mod.ko', '.BTF']),
  file: () => FILE,
  read(data) {
    const on = vmlinuxBtf();
    splitFacts(data, FILE);
    splitOwnTypes(data, FILE);
    checkSplitBase(data, FILE, on);
    readAll(Btf.parse(data, FILE, on, { section: '.BTF' }));
  },
};
