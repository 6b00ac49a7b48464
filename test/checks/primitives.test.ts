import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { btfIds } from '../../src/checks/primitives/btf-ids.js';
import { extableTypes } from '../../src/checks/primitives/extable-types.js';
import { landingPads } from '../../src/checks/primitives/landing-pads.js';
import { ftraceEntry } from '../../src/checks/primitives/ftrace-entry.js';
import { orcFormat } from '../../src/checks/primitives/orc-format.js';
import { percpuSymbols } from '../../src/checks/primitives/percpu-symbols.js';
import { sectionPlacement } from '../../src/checks/primitives/sections.js';
import { stackProtector } from '../../src/checks/primitives/stack-protector.js';
import type { KernelConventions } from '../../src/facts/kernel-conventions.js';
import { parseKernelVersion } from '../../src/facts/kernel-version.js';
import type { ExtableTypes } from '../../src/facts/x86-headers.js';
import { readFrozenObject } from '../../src/object/read.js';
import type { Report } from '../../src/report/report.js';
import { importsOf, runDetector } from '../support/detector-harness.js';
import { ROOT } from '../support/paths.js';
import { checkJson } from '../support/run.js';

const F = (p: string) => join(ROOT, 'fixtures', p);
const OLD = F('old-kernel');
const NEW = F('new-kernel');
const frozen = (name: string) => F(`frozen/${name}`);
/** The same source built by the new fixture kernel: what a clean object looks like. */
const twin = (name: string) => F(`new-kernel/drivers/${name}`);

/** Build-primitive findings as "severity id symbol (entry)". */
function primitives(report: Report): string[] {
  return report.findings.filter((f) => f.signature !== null || f.id === 'primitive-check-incomplete').map((f) => `${f.severity} ${f.id} ${f.symbol ?? '-'} (${f.signature})`);
}

async function run(...args: string[]): Promise<{ list: string[]; report: Report }> {
  const { report } = await checkJson(args);
  return { list: primitives(report), report };
}

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});
/** The new fixture kernel's .config with some lines replaced. */
function configWith(replace: Record<string, string | null>): string {
  const dir = mkdtempSync(join(tmpdir(), 'relinkable-config-'));
  temps.push(dir);
  const lines = readFileSync(join(NEW, '.config'), 'utf8').split('\n').filter((l) => !Object.keys(replace).some((k) => l.startsWith(`${k}=`)));
  for (const [k, v] of Object.entries(replace)) if (v !== null) lines.push(`${k}=${v}`);
  const path = join(dir, '.config');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describe('frozen prim_driver.o (old fixture kernel) into the new fixture kernel: every built-in primitive', async () => {
  const { list, report } = await run(frozen('prim_driver.o'), '--kernel', NEW, '--built-with', OLD);
  const find = (id: string, sig: string) => report.findings.find((f) => f.id === id && f.signature === sig)!;

  it('reports exactly these', () => {
    expect(list).toEqual([
      'link percpu-symbol-changed cpu_number (x86-percpu-hot-variables)',
      'link percpu-symbol-changed current_task (x86-percpu-hot-variables)',
      'runtime btf-id-unresolved __BTF_ID__struct__prim_legacy__2 (btf-ids)',
      'runtime btf-set-flags-missing __BTF_ID__set8__prim_kfunc_ids (btf-ids)',
      'runtime compiler-flag-changed -fcf-protection (x86-cf-protection-flag)',
      'runtime compiler-flag-changed -mstack-protector-guard-reg (x86-abi-flags)',
      'runtime compiler-flag-changed -mstack-protector-guard-symbol (x86-abi-flags)',
      'runtime cpu-feature-renumbered X86_FEATURE_CLEAR_CPU_BUF (x86-cpu-feature-numbers)',
      'runtime function-padding-missing prim_start (x86-function-padding)',
      'runtime landing-pad-missing prim_ops (x86-ibt-landing-pads)',
      'runtime mitigation-missing - (x86-call-depth-tracking)',
      'runtime noreturn-changed fixture_halt (objtool-noreturns)',
      'runtime section-discarded .fixture.legacy (linker-script-placement)',
      'runtime section-renamed .data.once (x86-data-section-renames)',
      'runtime special-section-format - (x86-alternatives-format)',
      'runtime special-section-format - (x86-exception-table-format)',
      'runtime special-section-unread - (x86-paravirt-patching)',
      'runtime stack-protector-changed - (x86-64-stack-canary)',
      'warning export-format-changed prim_version (export-format)',
      'warning section-orphaned .data.once (linker-script-placement)',
      'warning section-orphaned .parainstructions (linker-script-placement)',
      'review compiler-flag-changed -funsigned-char (plain-char-signedness)',
      'review definition-unreferenced prim_selftest (unreferenced-definitions)',
    ]);
  });

  it('names the ops-table slots without endbr64 and the IBT option', () => {
    const f = find('landing-pad-missing', 'x86-ibt-landing-pads');
    expect(f.message).toBe('2 functions reached through prim_ops have no endbr64 at the entry (prim_ops.start → prim_start and prim_ops.stop → prim_stop): the new kernel enforces X86_KERNEL_IBT, so the first indirect call into each faults');
  });

  it('reads the entry sizes and the feature number against both headers', () => {
    expect(find('special-section-format', 'x86-alternatives-format').before).toBe('2 entries × 12 bytes');
    expect(find('special-section-format', 'x86-alternatives-format').after).toBe('struct alt_instr: 14 bytes');
    expect(find('special-section-format', 'x86-exception-table-format').before).toBe('1 entries × 12 bytes, 3 relocations each (handler)');
    const moved = find('cpu-feature-renumbered', 'x86-cpu-feature-numbers');
    expect([moved.before, moved.after]).toEqual(['370 = CLEAR_CPU_BUF', '370 = SGX_EDECCSSA']);
    expect(moved.message).toContain('(CLEAR_CPU_BUF is now 114 = 3*32+18)');
  });

  it('says how the canary moved, and where the noreturn status comes from', () => {
    const canary = find('stack-protector-changed', 'x86-64-stack-canary');
    expect([canary.before, canary.after]).toEqual(['canary at the fixed %gs:0x28 (fixed_percpu_data.stack_canary)', 'canary in __ref_stack_chk_guard']);
    expect(canary.evidence[0]!.detail).toBe('2 reads of %gs:0x28 without a relocation');
    const halt = find('noreturn-changed', 'objtool-noreturns');
    expect([halt.severity, halt.before, halt.after]).toEqual(['runtime', 'noreturn', 'returns']);
    expect(halt.evidence.at(-2)!.detail).toMatch(/; no DW_AT_noreturn in vmlinux DWARF$/);
  });

  it('places the sections with the new linker script', () => {
    const renamed = find('section-renamed', 'x86-data-section-renames');
    expect(renamed.after).toMatch(/^\.data\.\.once: placed in \.data by .* inside __start_once\.\.__end_once$/);
  });
});

describe('the clean misses of the built-in primitives', async () => {
  it('the frozen object against its own old kernel: nothing', async () => {
    expect((await run(frozen('prim_driver.o'), '--kernel', OLD, '--built-with', OLD)).list).toEqual([]);
  });

  it("the new kernel's own build of the same source: only what the fixtures cannot mimic", async () => {
    // No objtool runs on the fixtures (no .call_sites), and both fixture trees export the pre-6.5 way.
    expect((await run(twin('prim_driver.o'), '--kernel', NEW, '--built-with', NEW)).list).toEqual([
      'runtime mitigation-missing - (x86-call-depth-tracking)',
      'warning export-format-changed prim_version (export-format)',
    ]);
  });

  it('without --built-with, feature numbers of an object with no vermagic are for a human', async () => {
    const { list } = await run(frozen('prim_driver.o'), '--kernel', OLD);
    expect(list).toEqual(['review cpu-feature-renumbered - (x86-cpu-feature-numbers)']);
  });
});

describe('frozen prim_mod.ko into the new fixture kernel: module primitives', async () => {
  const { list, report } = await run(frozen('prim_mod.ko'), '--kernel', NEW, '--built-with', OLD);

  it('reports exactly these', () => {
    expect(list).toEqual([
      'link module-struct-size __this_module (module-struct)',
      'link split-btf-mismatch - (module-split-btf)',
      'runtime compiler-flag-changed -fcf-protection (x86-cf-protection-flag)',
      'runtime compiler-flag-changed -mstack-protector-guard-reg (x86-abi-flags)',
      'runtime compiler-flag-changed -mstack-protector-guard-symbol (x86-abi-flags)',
      'runtime extable-type-unknown EX_TYPE_COPY (x86-extable-types)',
      'runtime function-padding-missing mod_stop (x86-function-padding)',
      'runtime landing-pad-missing mod_ops (x86-ibt-landing-pads)',
      'runtime mitigation-missing - (x86-call-depth-tracking)',
      'runtime orc-format-changed - (x86-orc-format)',
      'runtime section-discarded .fixture.legacy (linker-script-placement)',
      'runtime stack-protector-changed - (x86-64-stack-canary)',
      'review compiler-flag-changed -funsigned-char (plain-char-signedness)',
    ]);
    const orc = report.findings.find((f) => f.id === 'orc-format-changed')!;
    expect(orc.after).toBe('.orc_header 054eca7dfb6297bc0b72acd42f2314f0e2ea37d5');
    const btf = report.findings.find((f) => f.id === 'split-btf-mismatch')!;
    // The fixture kernel's .config does not set CONFIG_MODULE_ALLOW_BTF_MISMATCH: the loader refuses the module.
    expect(btf.message).toMatch(/^the module's split BTF was built on another vmlinux \(.*; the loader refuses the module \(CONFIG_MODULE_ALLOW_BTF_MISMATCH is not set\)$/);
  });

  it("the new kernel's own module: only the call-depth sites objtool would add", async () => {
    expect((await run(twin('prim_mod.ko'), '--kernel', NEW, '--built-with', NEW)).list).toEqual(['runtime mitigation-missing - (x86-call-depth-tracking)']);
  });

  it('refuses vermagic options the new kernel does not have (computed from its .config without a reference module)', async () => {
    const explicit = (config: string) => [twin('prim_mod.ko'), '--vmlinux', join(NEW, 'vmlinux'), '--symvers', join(NEW, 'Module.symvers'), '--config', config];
    const { report: r } = await checkJson(explicit(configWith({ CONFIG_PREEMPT_BUILD: null })));
    const f = r.findings.find((x) => x.id === 'vermagic-mismatch')!;
    expect([f.severity, f.before, f.after]).toEqual(['link', '6.12.0-fixture SMP preempt mod_unload modversions ', '6.12.0-fixture SMP mod_unload modversions ']);
    const { report: same } = await checkJson(explicit(join(NEW, '.config')));
    expect(same.findings.filter((x) => x.id === 'vermagic-mismatch')).toEqual([]);
  });
});

describe('one primitive per object: ftrace entry, instrumentation, kCFI', () => {
  it('mcount calls where the kernel hooks __fentry__; the new build calls __fentry__', async () => {
    expect((await run(frozen('prim_trace.o'), '--kernel', NEW, '--built-with', OLD)).list).toContain('link ftrace-entry-changed mcount (x86-ftrace-entry)');
    expect((await run(twin('prim_trace.o'), '--kernel', NEW, '--built-with', NEW)).list).toEqual(['runtime mitigation-missing - (x86-call-depth-tracking)']);
  });

  it('KCOV hooks a kernel without KCOV lacks; the old kernel has them', async () => {
    expect((await run(frozen('prim_kcov.o'), '--kernel', NEW)).list).toContain('link instrumentation-mismatch __sanitizer_cov_trace_pc (sanitizer-hooks)');
    expect((await run(frozen('prim_kcov.o'), '--kernel', OLD)).list).toEqual([]);
  });

  it('a kCFI hash that differs from the reference object built by the new kernel', async () => {
    const cfi = F('new-kernel/.config-cfi');
    const { report } = await run(frozen('prim_cfi.o'), '--kernel', NEW, '--config', cfi);
    const f = report.findings.find((x) => x.id === 'kcfi-mismatch')!;
    expect([f.symbol, f.before, f.after]).toEqual(['prim_cb', '__cfi_prim_cb: 0x12345678', '__cfi_prim_cb: 0xbadcafe']);
    expect((await run(twin('prim_cfi.o'), '--kernel', NEW, '--config', cfi)).list.filter((l) => l.includes('kcfi'))).toEqual([]);
    // Without CFI in the kernel the hashes do not matter.
    expect((await run(frozen('prim_cfi.o'), '--kernel', NEW)).list.filter((l) => l.includes('kcfi'))).toEqual([]);
  });

  it('return thunks and retpolines missing from an object built without the mitigation flags', async () => {
    const { list } = await run(F('elf/x86_64.o'), '--kernel', NEW);
    expect(list).toContain('runtime mitigation-missing - (x86-return-thunks)');
    expect(list).toContain('runtime mitigation-missing - (x86-retpolines)');
    expect((await run(frozen('prim_driver.o'), '--kernel', NEW)).list.filter((l) => /return-thunks|retpolines/.test(l))).toEqual([]);
  });

  it('a compiler the new kernel is not built with is for a human', async () => {
    const config = configWith({ CONFIG_CC_VERSION_TEXT: '"gcc-14 (Debian 14.2.0-19) 14.2.0"' });
    const { report } = await run(frozen('prim_kcov.o'), '--kernel', NEW, '--config', config);
    const f = report.findings.find((x) => x.id === 'compiler-changed')!;
    expect([f.severity, f.before, f.after]).toEqual(['review', 'gcc 12.2.0', 'gcc-14 (Debian 14.2.0-19) 14.2.0']);
    expect((await run(frozen('prim_kcov.o'), '--kernel', NEW)).list.filter((l) => l.includes('compiler-changed'))).toEqual([]);
  });

  it('follows renamed options: the old kernel has RETPOLINE, asked for MITIGATION_RETPOLINE', async () => {
    const { list } = await run(F('elf/x86_64.o'), '--kernel', OLD);
    expect(list).toContain('runtime mitigation-missing - (x86-retpolines)');
    expect(readFileSync(join(OLD, '.config'), 'utf8')).toMatch(/^CONFIG_RETPOLINE=y$/m);
    expect(readFileSync(join(OLD, '.config'), 'utf8')).not.toMatch(/MITIGATION_RETPOLINE/);
  });
});

describe('arm64 detectors on real arm64 objects (a 6.12-like build with BTI and call-ops padding, a 6.1-like one without)', () => {
  const bti = readFrozenObject(F('elf/aarch64-bti.o'));
  const plain = readFrozenObject(F('elf/aarch64-nobti.o'));
  /** The new kernel as the arm64 detectors ask about it: options, and task_struct.stack_canary at 1912. */
  const kernel: Partial<KernelConventions> = {
    enabled: (names) => (names.some((n) => ['ARM64_BTI_KERNEL', 'FUNCTION_TRACER', 'DYNAMIC_FTRACE', 'DYNAMIC_FTRACE_WITH_CALL_OPS', 'STACKPROTECTOR'].includes(n)) ? { name: names[0]!, value: 'y' } : undefined),
    option: (name) => ({ name, value: 'y' }),
    defines: () => false,
    struct: (name) => (name === 'task_struct' ? { size: 4096, members: [{ name: 'stack_canary', bitOffset: 1912 * 8 }], source: { file: 'vmlinux', what: '.BTF' } } : undefined),
    configFile: 'config',
  };

  it('BTI: bti c at the ops callbacks passes, a plain build does not', () => {
    expect(runDetector(landingPads, { entry: 'arm64-bti-landing-pads', frozen: bti, kernel })).toEqual([]);
    const [f] = runDetector(landingPads, { entry: 'arm64-bti-landing-pads', frozen: plain, kernel });
    expect(f!.message).toBe('2 functions reached through arm64_ops have no bti-c at the entry (arm64_ops.start → ops_start and arm64_ops.stop → ops_stop): the new kernel enforces ARM64_BTI_KERNEL, so the first indirect call into each faults');
  });

  it('call ops: 8 bytes of NOPs before each function with =4,2, none with =2', () => {
    expect(runDetector(ftraceEntry, { entry: 'arm64-ftrace-call-ops', frozen: bti, kernel })).toEqual([]);
    const [f] = runDetector(ftraceEntry, { entry: 'arm64-ftrace-call-ops', frozen: plain, kernel });
    expect([f!.symbol, f!.before, f!.after]).toEqual(['arm64_entry', '0 bytes before arm64_entry', '8 bytes of NOPs before every function']);
  });

  it('the per-task canary offset against task_struct.stack_canary', () => {
    expect(runDetector(stackProtector, { entry: 'arm64-stack-canary-offset', frozen: bti, kernel })).toEqual([]);
    const [f] = runDetector(stackProtector, { entry: 'arm64-stack-canary-offset', frozen: plain, kernel });
    expect([f!.before, f!.after]).toEqual(['task_struct.stack_canary at 1920', 'task_struct.stack_canary at 1912']);
  });
});

describe('one detector, one catalogue entry, the world as plain data', () => {
  it("ORC: an .orc_header other than vmlinux's, or none; the same hash is clean", () => {
    const build = { sections: [{ name: '.orc_unwind', size: 36, flags: 'A', relocations: 0 }], orcHeader: 'aaaa' };
    const kernel: Partial<KernelConventions> = { orcHeader: () => 'bbbb', vmlinuxFile: 'vmlinux' };
    const [f, ...rest] = runDetector(orcFormat, { entry: 'x86-orc-format', conventions: build, kernel });
    expect(rest).toEqual([]);
    expect([f!.id, f!.severity, f!.before, f!.after]).toEqual(['orc-format-changed', 'runtime', '.orc_header aaaa', '.orc_header bbbb']);
    expect(f!.message).toBe("the frozen object's .orc_header (aaaa) differs from vmlinux's (bbbb): its 6 ORC entries use another format");
    const [old] = runDetector(orcFormat, { entry: 'x86-orc-format', conventions: { ...build, orcHeader: undefined }, kernel });
    expect(old!.message).toBe("the frozen object has 6 ORC entries but no .orc_header (built before v6.4), and the new kernel's ORC format carries hash bbbb: the entries are decoded by a layout they were not written in");
    expect(runDetector(orcFormat, { entry: 'x86-orc-format', conventions: build, kernel: { orcHeader: () => 'aaaa' } })).toEqual([]);
  });

  it('extable: a fixup type the new header lacks, named by the header the object was built with; a defined type is clean', () => {
    const header = (file: string, types: Record<number, string[]>): ExtableTypes => ({
      file,
      typeMask: 0xff,
      immMask: 0xffff0000,
      types: new Map(Object.entries(types).map(([n, names]) => [Number(n), names])),
      composites: new Map(),
      byName: new Map(),
    });
    const build = { extable: { layout: 'data' as const, entries: 3, types: [{ type: 1, count: 2, example: 'f+0x4' }, { type: 4, count: 1, example: 'g+0x10' }], handlers: [] } };
    const origin = { extableTypes: () => header('old/extable_fixup_types.h', { 1: ['EX_TYPE_DEFAULT'], 4: ['EX_TYPE_COPY'] }) };
    const [f, ...rest] = runDetector(extableTypes, { entry: 'x86-extable-types', conventions: build, origin, kernel: { extableTypes: () => header('new/extable_fixup_types.h', { 1: ['EX_TYPE_DEFAULT'] }) } });
    expect(rest).toEqual([]);
    expect([f!.symbol, f!.before, f!.after]).toEqual(['EX_TYPE_COPY', 'EX_TYPE_COPY (4)', 'type 4 undefined']);
    expect(f!.message).toBe('1 exception-table entry (first at g+0x10) use EX_TYPE_COPY, which the new kernel does not define: a fault there reaches the "unknown type" path of fixup_exception()');
    expect(f!.evidence.map((e) => e.label)).toEqual(['frozen object', 'built with', 'new kernel', 'catalogue']);
    const [unnamed] = runDetector(extableTypes, { entry: 'x86-extable-types', conventions: build, kernel: { extableTypes: () => header('new/extable_fixup_types.h', { 1: ['EX_TYPE_DEFAULT'] }) } });
    expect(unnamed!.message).toMatch(/^1 exception-table entry \(first at g\+0x10\) use type 4, which/);
    expect(runDetector(extableTypes, { entry: 'x86-extable-types', conventions: build, origin, kernel: { extableTypes: () => header('new/extable_fixup_types.h', { 1: ['EX_TYPE_DEFAULT'], 4: ['EX_TYPE_COPY'] }) } })).toEqual([]);
  });

  it('per-CPU: a hot variable folded into pcpu_hot; a kernel that still defines it is clean', () => {
    const frozen = { imports: importsOf('current_task') };
    const build = { importRelocations: { current_task: { R_X86_64_PC32: 2 } } };
    const [f, ...rest] = runDetector(percpuSymbols, { entry: 'x86-percpu-hot-variables', frozen, conventions: build, kernel: { defines: (n) => n === 'pcpu_hot', vmlinuxFile: 'vmlinux' } });
    expect(rest).toEqual([]);
    expect([f!.severity, f!.symbol, f!.before, f!.after]).toEqual(['link', 'current_task', '%gs:current_task', '%gs:pcpu_hot']);
    expect(f!.message).toBe('the frozen code reads the per-CPU variable current_task (2× R_X86_64_PC32), which the new kernel no longer defines: it lives in pcpu_hot now (pcpu_hot.current_task from v6.2)');
    expect(runDetector(percpuSymbols, { entry: 'x86-percpu-hot-variables', frozen, conventions: build, kernel: { defines: (n) => n === 'current_task' } })).toEqual([]);
  });

  it('BTF ids: a struct the new BTF has only as another kind; one it has is clean', () => {
    const build = { btfIds: [{ kind: 'struct', name: 'prim_legacy', symbol: '__BTF_ID__struct__prim_legacy__2', id: 7 }] };
    const kernel = (ids: (name: string, kind?: string) => readonly number[]): Partial<KernelConventions> => ({
      btf: () => ({ types: 100, stringBytes: 1000 }),
      btfIdsNamed: ids,
      version: () => parseKernelVersion('6.12.0'),
      vmlinuxFile: 'vmlinux',
    });
    const [f, ...rest] = runDetector(btfIds, { entry: 'btf-ids', conventions: build, kernel: kernel((_, kind) => (kind === undefined ? [12] : [])) });
    expect(rest).toEqual([]);
    expect([f!.severity, f!.symbol, f!.before, f!.after]).toEqual(['runtime', '__BTF_ID__struct__prim_legacy__2', 'struct prim_legacy = [7]', 'no struct prim_legacy']);
    expect(f!.message).toBe("BTF id struct prim_legacy: the new kernel's BTF has prim_legacy only as another kind ([12]), so resolve_btfids leaves the id 0");
    expect(runDetector(btfIds, { entry: 'btf-ids', conventions: build, kernel: kernel(() => [7]) })).toEqual([]);
  });

  it("BTF ids: the object's own functions and the types of its own split BTF resolve with it, not in vmlinux BTF", () => {
    const ids = [
      { kind: 'func', name: 'bpf_ct_release', symbol: '__BTF_ID__func__bpf_ct_release__757483', id: 60712 },
      { kind: 'func', name: 'bpf_nf_ct_helper', symbol: '__BTF_ID__func__bpf_nf_ct_helper__1', id: 60714 },
      { kind: 'struct', name: 'nf_conn___init', symbol: '__BTF_ID__struct__nf_conn___init__751190', id: 60716 },
      { kind: 'struct', name: 'nf_conn', symbol: '__BTF_ID__struct__nf_conn__750189', id: 0 },
      { kind: 'func', name: 'gone_kfunc', symbol: '__BTF_ID__func__gone_kfunc__3', id: 0 },
    ];
    const fn = (name: string, binding: 'global' | 'local') => ({ name, binding, section: '.text', offset: 0, size: 16, entry: 'none' as const, paddingBefore: 0, prefixSymbol: false, cfiHash: undefined, ftraceCall: undefined });
    const findings = runDetector(btfIds, {
      entry: 'btf-ids',
      // bpf_ct_release is a global the module defines (nm: T), bpf_nf_ct_helper a static one.
      frozen: { isModule: true, definitions: new Map([['bpf_ct_release', { name: 'bpf_ct_release', kind: 'function', binding: 'global', section: '.text', size: 16 }]]) },
      conventions: {
        btfIds: ids,
        functions: [fn('bpf_nf_ct_helper', 'local')],
        btf: { split: '', distilledBase: undefined, ownTypes: [{ kind: 'struct', name: 'nf_conn___init' }] },
      },
      kernel: { btf: () => ({ types: 100, stringBytes: 1000 }), btfIdsNamed: (name) => (name === 'nf_conn' ? [42] : []), version: () => parseKernelVersion('6.1.192'), vmlinuxFile: 'vmlinux' },
    });
    // Only the function nothing defines any more is left; nf_conn is in vmlinux BTF and was unresolved (0) in the frozen object.
    expect(findings.map((f) => [f.symbol, f.after])).toEqual([['__BTF_ID__func__gone_kfunc__3', 'no func gone_kfunc']]);
  });

  it('placement: a section the new script discards, not by design; one it places is clean', () => {
    const build = {
      sections: [
        { name: '.fixture.legacy', size: 8, flags: 'WA', relocations: 1 },
        { name: '.exit.text', size: 4, flags: 'AX', relocations: 0 },
      ],
    };
    const kernel = (kind: 'discarded' | 'placed'): Partial<KernelConventions> => ({
      linkerScript: () => 'vmlinux.lds',
      reference: () => undefined,
      placement: (_target, _object, section) =>
        kind === 'discarded' ? { kind, line: 40, description: `discarded by *(${section}) (line 40)` } : { kind, output: '.data', line: 12, ranges: [], description: `placed in .data by *(${section}) (line 12)` },
      sectionPatternMatches: (pattern, section) => pattern === section,
    });
    const [f, ...rest] = runDetector(sectionPlacement, { entry: 'linker-script-placement', conventions: build, kernel: kernel('discarded') });
    expect(rest).toEqual([]);
    expect([f!.id, f!.severity, f!.symbol, f!.before, f!.after]).toEqual(['section-discarded', 'runtime', '.fixture.legacy', '.fixture.legacy: 8 bytes', 'discarded by *(.fixture.legacy) (line 40)']);
    expect(f!.message).toBe('the new vmlinux linker script discards .fixture.legacy (8 bytes, 1 relocations): what the frozen object put there is not in the relinked kernel');
    expect(f!.evidence[1]).toEqual({ label: 'new kernel', file: 'vmlinux.lds', location: 'line 40', detail: 'discarded by *(.fixture.legacy) (line 40)' });
    expect(runDetector(sectionPlacement, { entry: 'linker-script-placement', conventions: build, kernel: kernel('placed') })).toEqual([]);
  });
});
