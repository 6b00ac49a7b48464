// BTF of a vmlinux parsed into the type model: every type id decoded into a TypeNode.
// What the bench compares with `bpftool btf dump file … format raw`.
import { btfGraph, readBtf } from '../src/btf/file.js';
import { ElfFile } from '../src/elf/index.js';

const path = process.argv[2];
if (!path) {
  console.error('usage: btf-parse <elf>');
  process.exit(2);
}
const elf = ElfFile.open(path);
const btf = readBtf(elf);
if (!btf) {
  console.error(`${path}: no .BTF`);
  process.exit(2);
}
const graph = btfGraph(elf, btf);
const kinds = new Map<string, number>();
for (let id = 1; id < btf.typeCount; id++) {
  const kind = graph.node(id).kind;
  kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
}
console.log(JSON.stringify({ types: btf.typeCount - 1, kinds: Object.fromEntries(kinds) }));
