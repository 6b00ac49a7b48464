import { describe, expect, it } from 'vitest';
import { DwarfFile } from '../../src/dwarf/index.js';
import { functionAt, TypeDefinitions } from '../../src/dwarf/lookup.js';
import { DwarfTypeGraph } from '../../src/dwarf/type-graph.js';
import { ElfFile } from '../../src/elf/index.js';
import { ClosureComparison } from '../../src/model/compare.js';
import { ObjectDwarfInterface } from '../../src/dwarf/dwarf-interfaces.js';
import { debianModule, debianVmlinux } from '../support/corpus.js';

/** The 6.12.117 vmlinux DWARF with declarations completed through TypeDefinitions, recording each name asked for. */
function vmlinuxGraph() {
  const asked: string[] = [];
  const graph: DwarfTypeGraph = new DwarfTypeGraph(new DwarfFile(ElfFile.open(debianVmlinux('6.12.117'))), (kind, name) => {
    asked.push(`${kind} ${name}`);
    return definitions.find(kind, name);
  });
  const definitions = new TypeDefinitions(graph);
  return { graph, definitions, asked };
}

describe('named type definitions in the Debian 6.12.117 vmlinux DWARF', () => {
  it("are looked for first in the units other questions decoded: struct rng_alg in crypto_register_rng's unit", () => {
    const { graph, definitions } = vmlinuxGraph();
    const elf = graph.dwarf.elf;
    const sym = elf.symbolsNamed('crypto_register_rng').find((s) => s.binding === 'global')!;
    expect(functionAt(graph, 'crypto_register_rng', sym.value)?.unit).toBe('crypto/rng.c');
    const ref = definitions.find('struct', 'rng_alg')!;
    expect(graph.locate(ref)).toMatch(/ in compile unit crypto\/rng\.c$/);
    const node = graph.node(ref);
    expect(node.kind === 'struct' && node.size).toBe(416); // pahole -C rng_alg: size 416
    expect(definitions.find('struct', 'rng_alg')).toBe(ref);
  });

  it("answer a subsystem's private types from the unit that defined the first: kernel/module/sysfs.c", () => {
    const { graph, definitions } = vmlinuxGraph();
    const sect = definitions.find('struct', 'module_sect_attrs')!;
    const notes = definitions.find('struct', 'module_notes_attrs')!;
    expect(graph.locate(sect)).toMatch(/ in compile unit kernel\/module\/sysfs\.c$/);
    expect(graph.locate(notes)).toMatch(/ in compile unit kernel\/module\/sysfs\.c$/);
    expect(definitions.find('struct', 'no_such_struct_in_any_kernel')).toBeUndefined();
  });

  it('are not looked for where the frozen object only declared the type: it never saw the layout', () => {
    const frozen = new ObjectDwarfInterface(new DwarfFile(ElfFile.open(debianModule('6.1.170', 'crypto/jitterentropy_rng.ko'))), 'frozen');
    const { definitions, graph, asked } = vmlinuxGraph();
    const before = frozen.typeNamed('struct', 'module')!;
    const after = definitions.find('struct', 'module')!;
    const deltas = new ClosureComparison(frozen.graph, graph).run([{ label: '__this_module', before, after, owned: true }]);
    const module = deltas.find((d) => d.name === 'struct module')!;
    expect(module.changes.find((c) => c.kind === 'size' && c.path === '')).toEqual({ kind: 'size', path: '', before: '896', after: '1280' });
    // struct module points to these; the module's DWARF has them only as declarations.
    expect(frozen.typeNamed('struct', 'module_sect_attrs')).toBeUndefined();
    expect(asked).not.toContain('struct module_sect_attrs');
    expect(asked.length).toBeGreaterThan(0);
    for (const name of new Set(asked)) {
      const [kind, typeName] = name.split(' ') as ['struct' | 'union' | 'enum', string];
      expect(frozen.typeNamed(kind, typeName), name).toBeDefined();
    }
  });
});
