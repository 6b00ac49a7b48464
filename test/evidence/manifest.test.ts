import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { localizePaths, manifestPath } from '../../src/paths.js';
import { FROZEN_DRIVER, FROZEN_MODULE, NEW_KERNEL, ROOT } from '../support/paths.js';
import type { Report } from '../../src/report/report.js';
import { checkJson, runBinary } from '../support/run.js';

/** sha256sum, the oracle for each digest. */
const sha256sum = (path: string) => execFileSync('sha256sum', [path], { cwd: ROOT, encoding: 'utf8' }).split(' ')[0];

describe('the inputs manifest', () => {
  it('lists every file the run read, with its role, size and sha256, and nothing it did not read', async () => {
    const { report } = await checkJson([FROZEN_DRIVER, '--kernel', NEW_KERNEL, '--digests']);
    const named = report.inputs.filter((i) => i.role !== 'catalogue' && i.role !== 'kernel file');
    expect(named.map((i) => `${i.role} ${i.path}`)).toEqual([
      'vmlinux fixtures/new-kernel/vmlinux',
      'frozen object fixtures/frozen/rng_driver.o',
      'System.map fixtures/new-kernel/System.map',
      '.config fixtures/new-kernel/.config',
      'vmlinux.a fixtures/new-kernel/vmlinux.a',
      'Module.symvers fixtures/new-kernel/Module.symvers',
      'linker script fixtures/new-kernel/arch/x86/kernel/vmlinux.lds',
    ]);
    // The build directory's objects read to find what rng_driver.o replaces and who uses it.
    expect(report.inputs.filter((i) => i.role === 'kernel file').map((i) => i.path)).toContain('fixtures/new-kernel/drivers/rng_driver.o');
    expect(report.inputs.filter((i) => i.role === 'catalogue')).toHaveLength(45);
    for (const i of report.inputs) expect(i.sha256, i.path).toBe(sha256sum(i.path));
    expect(report.inputs.find((i) => i.role === 'frozen object')!.sha256).toBe(report.frozen[0]!.sha256);
    expect(report.inputs.find((i) => i.role === 'vmlinux')).toMatchObject({ size: 47376, buildId: null });
    expect(new Set(report.inputs.map((i) => i.path)).size).toBe(report.inputs.length);
  });

  it('without --digests: the same files and sizes, no sha256 (the text gate does not hash vmlinux)', async () => {
    const plain = (await checkJson([FROZEN_MODULE, '--kernel', NEW_KERNEL])).report;
    const hashed = (await checkJson([FROZEN_MODULE, '--kernel', NEW_KERNEL, '--digests'])).report;
    expect(plain.inputs.map((i) => [i.path, i.size])).toEqual(hashed.inputs.map((i) => [i.path, i.size]));
    expect(plain.inputs.every((i) => i.sha256 === null)).toBe(true);
    expect(plain.inputs.find((i) => i.role === 'Module.symvers')?.path).toBe('fixtures/new-kernel/Module.symvers');
    // A module links against exports: vmlinux.a and vmlinux.lds were found, but not read, so not listed.
    expect([plain.kernel.vmlinuxArchive, plain.kernel.linkerScript]).toEqual([`${NEW_KERNEL}/vmlinux.a`, `${NEW_KERNEL}/arch/x86/kernel/vmlinux.lds`]);
    expect(plain.inputs.map((i) => i.role)).not.toContain('vmlinux.a');
    expect(plain.inputs.map((i) => i.role)).not.toContain('linker script');
  });

  it('names what --built-with read there, and the new kernel\'s own sources as kernel files', async () => {
    const { report } = await checkJson([FROZEN_DRIVER.replace('rng_driver.o', 'prim_driver.o'), '--kernel', NEW_KERNEL, '--built-with', NEW_KERNEL.replace('new-kernel', 'old-kernel')]);
    const roles = report.inputs.filter((i) => /Makefile|\.h$/.test(i.path)).map((i) => `${i.role} ${i.path}`);
    expect(roles).toEqual([
      'built-with kernel fixtures/old-kernel/Makefile',
      'kernel file fixtures/new-kernel/Makefile',
      'kernel file fixtures/src/new/arch/x86/include/asm/cpufeatures.h',
      'built-with kernel fixtures/src/old/arch/x86/include/asm/cpufeatures.h',
    ]);
  });

  it('names the tool: version, the commit of a checkout, the Node version', async () => {
    const { report } = await checkJson([FROZEN_MODULE, '--kernel', NEW_KERNEL]);
    const head = execFileSync('git', ['-C', ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    expect(report.tool).toEqual({ name: 'relinkable', version: '0.1.0', commit: expect.stringMatching(new RegExp(`^${head}(\\+dirty)?$`)), node: process.version });
    expect(report.time).toBeNull();
  });

  it('the built binary names the commit it was built from, without asking git at run time', () => {
    // No git on PATH: a commit asked of the checkout at run time would be null.
    const r = runBinary(['check', FROZEN_MODULE, '--kernel', NEW_KERNEL, '--format', 'json', '--fail-on', 'never'], { PATH: '/nonexistent' });
    const head = execFileSync('git', ['-C', ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    expect(r.stderr).toBe('');
    expect((JSON.parse(r.stdout) as Report).tool.commit).toMatch(new RegExp(`^${head}(\\+dirty)?$`));
  });

  it('writes paths relative to the working directory, from ~ under the home directory, never expanded', () => {
    const base = { cwd: '/work/repo', home: '/home/ann' };
    expect(manifestPath('/work/repo/fixtures/x.o', base)).toBe('fixtures/x.o');
    expect(manifestPath('../k/vmlinux', base)).toBe('../k/vmlinux');
    expect(manifestPath('/home/ann/.cache/relinkable/corpus/vmlinux', base)).toBe('~/.cache/relinkable/corpus/vmlinux');
    expect(manifestPath('/srv/kernels/vmlinux', base)).toBe('/srv/kernels/vmlinux');
    expect(manifestPath('/home/annie/vmlinux', base)).toBe('/home/annie/vmlinux');
    expect(localizePaths('reference: /work/repo/x.o .text (also /srv/work/repo/y.o, "/home/ann/k/vmlinux", /home/annie/z)', base)).toBe(
      'reference: x.o .text (also /srv/work/repo/y.o, "~/k/vmlinux", /home/annie/z)',
    );
  });
});
