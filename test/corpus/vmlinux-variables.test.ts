import { describe, expect, it } from 'vitest';
import { VmlinuxDwarfInterface } from '../../src/dwarf/dwarf-interfaces.js';
import type { FileSource } from '../../src/elf/index.js';
import { NewKernel } from '../../src/kernel/kernel.js';
import { locateKernel } from '../../src/kernel/locate.js';
import { declare } from '../../src/model/cdecl.js';
import { debianKernel } from '../support/corpus.js';

/**
 * A global variable vmlinux's BTF lacks (Debian's has only per-CPU variables) is asked of its
 * DWARF: the unit that places it, found from the objects of the local symbols around it and
 * the locals the kernel's macros emit beside it, without searching the whole .debug_info;
 * a symbol no C unit defines (linker script, assembler) comes out as the headers declare it.
 */
describe.each(['6.12.117', '6.1.192'])('variables of Debian %s vmlinux, from its DWARF', (version) => {
  const kernel = new NewKernel(locateKernel({ kernel: debianKernel(version) }));
  const source = new VmlinuxDwarfInterface(kernel.dwarf()!, kernel.vmlinux, (name) => kernel.global(name));
  const ask = (name: string) => {
    const v = source.variableNamed(name);
    return v && { declaration: declare(v.graph, v.type, name), location: v.location };
  };

  it.each([
    ['kmalloc_caches', 'mm/slab_common.c', /^struct kmem_cache \*kmalloc_caches\[\d+\]\[\d+\]$/],
    ['boot_cpu_data', 'arch/x86/kernel/setup.c', /^struct cpuinfo_x86 boot_cpu_data$/],
    ['pv_ops', 'arch/x86/kernel/paravirt.c', /^struct paravirt_patch_template pv_ops$/],
    ['fips_enabled', 'crypto/fips.c', /^int fips_enabled$/],
    ['page_offset_base', 'arch/x86/kernel/head64.c', /^long unsigned int page_offset_base$/],
    ['__tracepoint_sched_switch', 'kernel/sched/core.c', /^struct tracepoint __tracepoint_sched_switch$/],
  ])('%s: its definition, in %s', (name, unit, declaration) => {
    const v = ask(name);
    expect(v?.location).toMatch(new RegExp(` in compile unit ${unit}$`));
    expect(v?.declaration).toMatch(declaration);
  });

  it.each([
    ['jiffies', /^volatile long unsigned int jiffies$/, 'an alias of jiffies_64 the linker script defines'],
    ['phys_base', /^long unsigned int phys_base$/, 'defined in head_64.S'],
  ])('%s: as a unit of the same kernel declares it (%s)', (name, declaration) => {
    expect(ask(name)?.declaration).toMatch(declaration);
  });

  it('is not asked about what vmlinux does not define', () => {
    expect(source.variableNamed('no_such_variable_in_any_kernel')).toBeUndefined();
  });

  it('reads a small part of the vmlinux for all of these', () => {
    expect((kernel.vmlinux.source as FileSource).bytesRead).toBeLessThan(80e6);
  });
});
