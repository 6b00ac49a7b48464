import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { btfGraph, readBtf } from '../../src/btf/file.js';
import { DwarfFile } from '../../src/dwarf/index.js';
import { TypeDefinitions } from '../../src/dwarf/lookup.js';
import { DwarfTypeGraph } from '../../src/dwarf/type-graph.js';
import { ElfFile } from '../../src/elf/index.js';
import { definition, prototype } from '../../src/model/cdecl.js';
import { ClosureComparison } from '../../src/model/compare.js';
import { sizeOf, type TypeGraph, type TypeRef } from '../../src/graph/type-graph.js';
import { debianVmlinux } from '../support/corpus.js';
import { paholeStruct } from '../support/pahole.js';
import { NEW_KERNEL, OLD_KERNEL } from '../support/paths.js';

function members(graph: TypeGraph, ref: TypeRef) {
  const node = graph.node(ref);
  if (node.kind !== 'struct') throw new Error('not a struct');
  return {
    size: node.size,
    members: node.members.map((m) => ({ name: m.name, offset: Math.floor(m.bitOffset / 8), size: sizeOf(graph, m.type) })),
  };
}

describe('struct layouts from DWARF and BTF agree with pahole', () => {
  it.each([
    [OLD_KERNEL, 'rate_state'],
    [NEW_KERNEL, 'rate_state'],
    [NEW_KERNEL, 'rng_req'],
    [NEW_KERNEL, 'rng_alg'],
  ])('%s: struct %s', (kernel, name) => {
    const elf = ElfFile.open(join(kernel, 'vmlinux'));
    const dwarf = new DwarfTypeGraph(new DwarfFile(elf));
    const btf = btfGraph(elf, readBtf(elf)!);
    const truth = paholeStruct(join(kernel, 'vmlinux'), name);
    const fromDwarf = members(dwarf, new TypeDefinitions(dwarf).find('struct', name)!);
    const fromBtf = members(btf, btf.typeByName('struct', name)[0]!);
    expect(fromDwarf).toEqual({ size: truth.size, members: truth.members.map(({ name: n, offset, size }) => ({ name: n, offset, size })) });
    expect(fromBtf).toEqual(fromDwarf);
  });

  it.each(['6.1.170', '6.12.117'])('Debian %s: struct ratelimit_state and struct module, DWARF and BTF, against pahole', (version) => {
    const path = debianVmlinux(version);
    const elf = ElfFile.open(path);
    const dwarf = new DwarfTypeGraph(new DwarfFile(elf));
    const btf = btfGraph(elf, readBtf(elf)!);
    for (const name of ['ratelimit_state', 'module']) {
      const truth = paholeStruct(path, name, 'btf');
      const fromBtf = members(btf, btf.typeByName('struct', name)[0]!);
      expect(fromBtf).toEqual({ size: truth.size, members: truth.members.map(({ name: n, offset, size }) => ({ name: n, offset, size })) });
      expect(members(dwarf, new TypeDefinitions(dwarf).find('struct', name)!)).toEqual(fromBtf);
    }
  });
});

describe('DWARF and BTF describe the same types as the same layout', () => {
  it('every struct of the fixture kernel compares equal across the two formats', () => {
    const elf = ElfFile.open(join(NEW_KERNEL, 'vmlinux'));
    const dwarf = new DwarfTypeGraph(new DwarfFile(elf));
    const btf = btfGraph(elf, readBtf(elf)!);
    const names = ['rate_state', 'rng_req', 'rng_alg'];
    const definitions = new TypeDefinitions(dwarf);
    const cmp = new ClosureComparison(dwarf, btf);
    const deltas = cmp.run(names.map((n) => ({ label: n, before: definitions.find('struct', n)!, after: btf.typeByName('struct', n)[0]!, owned: false })));
    expect(deltas).toEqual([]);
    expect(cmp.compared.map((c) => c.name).sort()).toEqual(['struct rate_state', 'struct rng_alg', 'struct rng_req']);
  });

  it('prints declarations the same from both', () => {
    const elf = ElfFile.open(join(NEW_KERNEL, 'vmlinux'));
    const dwarf = new DwarfTypeGraph(new DwarfFile(elf));
    const btf = btfGraph(elf, readBtf(elf)!);
    expect(definition(dwarf, new TypeDefinitions(dwarf).find('struct', 'rng_req')!)).toBe(
      ['struct rng_req {', '\tlong int seed; /* 0 8 */', '\tlong int len; /* 8 8 */', '\tlong int flags; /* 16 8 */', '}; /* size 24 */'].join('\n'),
    );
    expect(definition(btf, btf.typeByName('struct', 'rng_req')[0]!)).toBe(definition(dwarf, new TypeDefinitions(dwarf).find('struct', 'rng_req')!));
    const fn = btf.functionByName('ratelimit_check')!;
    expect(prototype(btf, fn.type, 'ratelimit_check')).toBe('int ratelimit_check(struct rate_state *rs, const char *func)');
  });
});
