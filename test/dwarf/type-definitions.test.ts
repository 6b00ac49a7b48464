import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DwarfFile } from '../../src/dwarf/index.js';
import { functionAt, TypeDefinitions } from '../../src/dwarf/lookup.js';
import { DwarfTypeGraph } from '../../src/dwarf/type-graph.js';
import { ElfFile } from '../../src/elf/index.js';
import { ClosureComparison } from '../../src/model/compare.js';
import { ObjectDwarfInterface } from '../../src/dwarf/dwarf-interfaces.js';
import { builtTree, debianModule, debianVmlinux } from '../support/corpus.js';

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

describe("a frozen object's complete struct and union definitions (what pahole turns into BTF types)", () => {
  const definitionsOf = (path: string) => {
    const elf = ElfFile.open(path);
    return new ObjectDwarfInterface(new DwarfFile(elf), path).typeDefinitions();
  };

  it('6.1.170 crypto/sha256_generic.o: the structs and unions pahole lists, each with where its source declares it', () => {
    const path = join(builtTree('6.1.170'), 'crypto', 'sha256_generic.o');
    const defs = definitionsOf(path);
    const pahole = execFileSync('pahole', ['-F', 'dwarf', '--sizes', path], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => l.split('\t')[0]!);
    expect([...new Set(defs.map((d) => d.name))].sort()).toEqual([...new Set(pahole)].sort());
    const task = defs.find((d) => d.name === 'task_struct')!;
    expect(task).toMatchObject({ kind: 'struct', declaredAt: { file: 'include/linux/sched.h', line: 737 }, inUnitSource: false });
    expect(task.unit).toMatch(/\/crypto\/sha256_generic\.c$/);
    expect(defs.filter((d) => d.inUnitSource)).toEqual([]);
  });

  it("6.1.170 lib/klist.o: struct klist_waiter is declared in the unit's own source file", () => {
    const defs = definitionsOf(join(builtTree('6.1.170'), 'lib', 'klist.o'));
    expect(defs.filter((d) => d.inUnitSource).map((d) => `${d.kind} ${d.name} ${d.declaredAt?.file}`)).toEqual(['struct klist_waiter lib/klist.c']);
  });
});
