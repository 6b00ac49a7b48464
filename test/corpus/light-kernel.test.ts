import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BufferSource } from '../../src/elf/index.js';
import { describe, expect, it } from 'vitest';
import { NewKernel } from '../../src/kernel/kernel.js';
import { locateKernel } from '../../src/kernel/locate.js';
import { readSystemMap } from '../../src/kernel/system-map.js';
import { groupKernelPackages, readDebianPackage, unpackKernel } from '../../src/scan/debian.js';
import { scan, kernelInputs } from '../../src/scan/scan.js';
import { emptyState, type StateCell } from '../../src/scan/state.js';
import { allLightKernelDebs, debianKernel, debianModule, lightKernelDebs } from '../support/corpus.js';
import { buildTimeline } from '../../src/scan/timeline.js';
import { runCli } from '../support/run.js';

/** The 13 crypto modules of Debian 6.1.170 of the typical gate (bench/gate.ts). */
export const GATE_MODULES = [
  'crypto/jitterentropy_rng', 'crypto/drbg', 'crypto/gcm', 'crypto/ctr', 'crypto/xts', 'crypto/cmac', 'crypto/ecb', 'crypto/aes_ti', 'crypto/sha512_generic',
  'arch/x86/crypto/aesni-intel', 'arch/x86/crypto/sha256-ssse3', 'arch/x86/crypto/sha512-ssse3', 'arch/x86/crypto/ghash-clmulni-intel',
].map((m) => debianModule('6.1.170', `${m}.ko`));

const lightDir = (abi: string) => unpackKernel(groupKernelPackages(lightKernelDebs(abi).map((d) => readDebianPackage(d)))[0]!, ['gcm']);

describe.each([
  { abi: '6.1.0-47', version: '6.1.170', compression: 'xz', symbols: 94_105, percpu: 382, vmlinux: 65_905_108 },
  { abi: '6.12.117+deb12', version: '6.12.117', compression: 'zstd', symbols: 163_205, percpu: 390, vmlinux: 57_647_116 },
])('Debian $version from its image and headers packages (a light kernel)', async ({ abi, version, compression, symbols, percpu, vmlinux }) => {
  const kernel = new NewKernel(locateKernel({ kernel: await lightDir(abi) }));

  it(`is a vmlinux of ${vmlinux} bytes out of a ${compression} vmlinuz, with .BTF and no .symtab or DWARF`, () => {
    expect(kernel.artifacts.layout).toBe('debian-image');
    // Unpacking the .deb decompressed it once, beside the vmlinuz; read from the vmlinuz, it is the same bytes.
    expect(kernel.artifacts.vmlinux).toMatch(new RegExp(`/boot/vmlinux-${abi.replace(/\+/g, '\\+')}-amd64$`));
    expect(kernel.imageCompression).toBeUndefined();
    const fromImage = new NewKernel(locateKernel({ vmlinux: kernel.artifacts.vmlinux.replace(/vmlinux-([^/]+)$/, 'vmlinuz-$1') }));
    expect(fromImage.imageCompression).toBe(compression);
    expect(fromImage.symbolSource).toBe('kallsyms');
    expect((fromImage.vmlinux.source as BufferSource).read(0, vmlinux, 'all').equals(readFileSync(kernel.artifacts.vmlinux))).toBe(true);
    expect(kernel.vmlinux.source.size).toBe(vmlinux);
    expect(kernel.vmlinux.symbolTable).toBeUndefined();
    expect(kernel.dwarf()).toBeUndefined();
    expect(kernel.btf()).toBeDefined();
    expect(kernel.release()).toBe(`${abi}-amd64`);
  });

  it(`decodes ${symbols} kallsyms symbols, each where the -dbg System.map puts it; only per-CPU symbols (${percpu}) lose their letter to 'A'`, () => {
    expect(kernel.symbolSource).toBe('kallsyms');
    const decoded = kernel.systemMap!.entries();
    expect(decoded.length).toBe(symbols);
    const map = readSystemMap(join(debianKernel(version), 'usr', 'lib', 'debug', 'boot', `System.map-${abi}-amd64`));
    const byName = new Map<string, { address: bigint; type: string }[]>();
    for (const e of map) byName.set(e.name, [...(byName.get(e.name) ?? []), { address: e.address, type: e.type }]);
    const misplaced = decoded.filter((e) => !byName.get(e.name)?.some((m) => m.address === e.address));
    expect(misplaced).toEqual([]);
    const relettered = decoded.filter((e) => !byName.get(e.name)!.some((m) => m.address === e.address && m.type === e.type));
    expect(relettered.length).toBe(percpu);
    expect(new Set(relettered.map((e) => e.type))).toEqual(new Set(['A']));
    expect(new Set(relettered.map((e) => byName.get(e.name)!.find((m) => m.address === e.address)!.type))).toEqual(new Set(['D', 'd']));
    // Per-CPU addresses start at 0 (.data..percpu is linked at 0).
    expect(relettered.every((e) => e.address < 0x100000n)).toBe(true);
  });
});

describe('mixed releases in a light kernel', () => {
  it("vmlinuz of 6.1.170 with 6.12.117's Module.symvers is an input error naming both releases", async () => {
    const light61 = await lightDir('6.1.0-47');
    const symvers = join(await lightDir('6.12.117+deb12'), 'usr', 'src', 'linux-headers-6.12.117+deb12-amd64', 'Module.symvers');
    const r = await runCli(['check', GATE_MODULES[2]!, '--kernel', light61, '--symvers', symvers]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      `relinkable: error: ${symvers}: belongs to kernel 6.12.117+deb12-amd64 (${join(symvers, '..', 'include', 'config', 'kernel.release')}), but ${join(light61, 'boot', 'vmlinux-6.1.0-47-amd64')} is 6.1.0-47-amd64 (Debian 6.1.170-3): give the vmlinux, Module.symvers and .config of one kernel build\n`,
    );
  });
});

describe('the 13 gate modules of 6.1.170 against 6.1.170, 6.1.192 and 6.12.117: light kernels and -dbg kernels', async () => {
  const light = await scan({
    objects: GATE_MODULES,
    kernels: kernelInputs(['6.1.0-47', '6.1.0-56', '6.12.117+deb12'].flatMap(lightKernelDebs)),
    previous: emptyState(),
    check: {},
  });
  const dbg = await scan({ objects: GATE_MODULES, kernels: kernelInputs(['6.1.170', '6.1.192', '6.12.117'].map(debianKernel)), previous: emptyState(), check: {} });
  const key = (c: StateCell) => `${c.object} ${c.release}`;
  const dbgCells = new Map(dbg.state.cells.map((c) => [key(c), c]));
  const text = (f: StateCell['findings'][number]) => `${f.id} ${f.subject}`;

  it('read each kernel once: 3 + 3 kernels for 78 cells', () => {
    expect(light.kernelsRead.length).toBe(3);
    expect(dbg.kernelsRead.length).toBe(3);
    expect(light.state.cells.length).toBe(39);
    expect(dbg.state.cells.length).toBe(39);
  });

  it('agree on every verdict', () => {
    for (const c of light.state.cells) expect([key(c), c.verdict]).toEqual([key(c), dbgCells.get(key(c))!.verdict]);
  });

  it('differ only in what the light kernel says it could not check, and in modules the -dbg corpus did not extract', () => {
    const onlyLight = new Set<string>();
    const onlyDbg = new Set<string>();
    for (const c of light.state.cells) {
      const d = dbgCells.get(key(c))!;
      for (const f of c.findings) if (!d.findings.some((g) => text(g) === text(f))) onlyLight.add(f.id);
      for (const f of d.findings) if (!c.findings.some((g) => text(g) === text(f))) onlyDbg.add(f.id);
    }
    expect(onlyLight).toEqual(new Set());
    // compiler-flag-changed: the new kernel's flags come from DWARF producers; variable-type-changed and the
    // layouts reached only through those variables: global variables are in DWARF, not BTF; replacement-not-found:
    // the corpus extracts few -dbg modules of 6.1.192 and 6.12.117, the light scan unpacks each one it needs.
    expect(onlyDbg).toEqual(new Set(['compiler-flag-changed', 'variable-type-changed', 'layout-changed', 'replacement-not-found']));
    expect(light.state.releases.map((r) => [r.release, r.kind])).toEqual([
      ['6.1.0-47-amd64', 'light'],
      ['6.1.0-56-amd64', 'light'],
      ['6.12.117+deb12-amd64', 'light'],
    ]);
    expect(light.state.releases[0]!.lacking[0]).toMatch(/^vmlinux DWARF: imported global variables BTF does not describe/);
  });
});

describe('the 13 gate modules of 6.1.170, relinked, against every Debian 6.1 and 6.12 light kernel of the corpus', async () => {
  const result = await scan({ objects: GATE_MODULES, kernels: kernelInputs(allLightKernelDebs().flat()), previous: emptyState(), check: { use: 'relinked' } });
  const timeline = buildTimeline(result.state, emptyState(), 'runtime');

  it('reads each of the 13 kernels once for the 169 cells, in release order', () => {
    expect(result.kernelsRead.length).toBe(13);
    expect(result.scanned.length).toBe(169);
    expect(timeline.releases.map((r) => r.version)).toEqual([
      '6.1.170-3', '6.1.176-1', '6.1.187-1', '6.1.190-1', '6.1.192-1', '6.1.192-2', '6.1.192-3',
      '6.12.107-1~deb12u1', '6.12.111-1~deb12u1', '6.12.113-1~deb12u1', '6.12.115-2~deb12u1', '6.12.117-1~deb12u1', '6.12.118-1~deb12u1',
    ]);
  });

  it('6.1.x: nothing breaks; what is found is for review (CRCs the light kernel cannot explain, layouts two pointers away)', () => {
    const in61 = result.state.cells.filter((c) => c.release.startsWith('6.1.0-'));
    expect(in61.length).toBe(13 * 7);
    const severities = new Set(in61.flatMap((c) => c.findings.map((f) => f.severity)));
    expect(severities).toEqual(new Set(['review', 'info']));
    expect(new Set(in61.flatMap((c) => c.findings.filter((f) => f.severity === 'review').map((f) => f.id)))).toEqual(new Set(['modversions-crc-changed', 'layout-changed']));
  });

  it('every module breaks at 6.12.107, the first 6.12 release, with the same findings through 6.12.118', () => {
    for (const o of timeline.objects) expect([o.path, o.firstBreak?.release]).toEqual([o.path, '6.12.107+deb12-amd64']);
    const jitter = timeline.objects.find((o) => o.path.endsWith('jitterentropy_rng.ko'))!;
    expect(jitter.firstBreak!.findings.map((f) => `${f.id} ${f.subject ?? ''}`.trim())).toEqual([
      'module-now-builtin jitterentropy_rng',
      'undefined-symbol __kmalloc',
      'layout-changed struct ratelimit_state',
      'function-padding-missing cleanup_module',
      'landing-pad-missing',
      'mitigation-missing',
      'orc-format-changed',
    ]);
    for (const o of timeline.objects) {
      const in612 = o.cells.slice(7).map((c) => JSON.stringify(c!.findings));
      expect(new Set(in612).size).toBe(1);
    }
  });
});
