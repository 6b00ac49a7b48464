import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findReplacement } from '../../src/kernel/find-replacement.js';
import { NewKernel } from '../../src/kernel/kernel.js';
import { locateKernel } from '../../src/kernel/locate.js';
import { NewKernelConventions } from '../../src/kernel/new-kernel-conventions.js';
import { readFrozenObject } from '../../src/object/read.js';
import type { FrozenObject } from '../../src/facts/frozen-object.js';
import type { Replacement } from '../../src/facts/replacement.js';
import { builtTree } from '../support/corpus.js';
import { readelfSections, readelfSymbols } from '../support/readelf.js';

/** The 6.1.192 corpus tree's conventions, with the given frozen objects replacing what they replace. */
function conventions(...frozen: FrozenObject[]) {
  const kernel = new NewKernel(locateKernel({ kernel: builtTree('6.1.192') }));
  const replacements = new Map<FrozenObject, Replacement>(frozen.map((f) => [f, findReplacement(f, kernel, undefined)]));
  return { kernel, conventions: new NewKernelConventions(kernel, [], [], replacements) };
}

describe("the new kernel's BTF types and BTF_ID entries (6.1.192 corpus tree)", () => {
  it('BTF_ID entries: every __BTF_ID__ symbol of .BTF_ids but the sets, named as resolve_btfids reads them, with the set or list each is in', () => {
    const { conventions: c } = conventions();
    const vmlinux = join(builtTree('6.1.192'), 'vmlinux');
    const index = readelfSections(vmlinux).find((s) => s.name === '.BTF_ids')!.index;
    const symbols = readelfSymbols(vmlinux).filter((s) => s.ndx === String(index) && /^__BTF_ID__(?!set8?__)/.test(s.name));
    const ids = c.btfIdEntries()!;
    expect(ids.entries.map((e) => `${e.address} ${e.symbol}`).sort()).toEqual(symbols.map((s) => `0x${s.value.toString(16)} ${s.name}`).sort());
    const named = (kind: string, name: string) => ids.entries.filter((e) => e.kind === kind && e.name === name).map((e) => e.set && `${e.set.kind} ${e.set.name}`);
    expect(named('struct', 'task_struct')).toEqual(['list btf_tracing_ids']);
    expect(named('struct', 'vm_area_struct')).toEqual(['list btf_tracing_ids']);
    expect(named('struct', 'bpf_map')).toEqual(['list btf_bpf_map_id']);
    expect(named('struct', 'bpf_ringbuf_map')).toEqual(['list ringbuf_map_btf_ids', 'list user_ringbuf_map_btf_ids']);
    expect(named('func', '__filemap_add_folio')).toEqual(['set btf_non_sleepable_error_inject']);
    expect(named('func', 'should_failslab')).toEqual(['set btf_non_sleepable_error_inject']);
  });

  it('BTF struct definitions by name, as bpftool lists them', () => {
    const { conventions: c } = conventions();
    const btf = c.btfTypes()!;
    const dump = execFileSync('bpftool', ['btf', 'dump', 'file', join(builtTree('6.1.192'), 'vmlinux')], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const ids = (name: string) => [...dump.matchAll(new RegExp(`^\\[(\\d+)\\] STRUCT '${name}' `, 'gm'))].map((m) => Number(m[1]));
    for (const name of ['task_struct', 'file', 'list_head']) expect(btf.definitions('struct', name)).toEqual(ids(name));
    expect(btf.definitions('union', 'task_struct')).toEqual([]);
  });

  it('a struct only the replaced unit defines leaves with it: logic_pio_hwaddr (include/linux/logic_pio.h, only lib/logic_pio.c of this tree)', () => {
    const frozen = readFrozenObject(join(builtTree('6.1.170'), 'lib', 'logic_pio.o'));
    const { conventions: c } = conventions(frozen);
    expect(c.definedBesidesReplaced(frozen, 'struct', 'logic_pio_hwaddr')).toBe(false);
    expect(c.definedBesidesReplaced(frozen, 'struct', 'fwnode_handle')).toBe(true);
  });

  it("a struct whose short name GCC writes inline (struct fd) is found in the other units too, quickly", () => {
    const frozen = readFrozenObject(join(builtTree('6.1.170'), 'kernel', 'bpf', 'map_in_map.o'));
    const { conventions: c } = conventions(frozen);
    const start = performance.now();
    expect(c.definedBesidesReplaced(frozen, 'struct', 'fd')).toBe(true);
    expect(c.definedBesidesReplaced(frozen, 'struct', 'bpf_map')).toBe(true);
    expect(performance.now() - start).toBeLessThan(5000);
  });
});
