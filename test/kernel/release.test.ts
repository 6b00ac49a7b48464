import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KernelConfig } from '../../src/kernel/kconfig.js';
import { checkSameRelease, symversReleases, vmlinuxRelease } from '../../src/kernel/release.js';

const DEBIAN_BANNER =
  'Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)';
const TREE_BANNER = 'Linux version 6.1.170 (relinkable@relinkable) (gcc (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) # Thu Jan  1 00:00:00 UTC 2026';

describe('which kernel each part of the new kernel belongs to', () => {
  const root = mkdtempSync(join(tmpdir(), 'relinkable-release-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** A Module.symvers in `dir`, with the files a build or a Debian headers package puts next to it. */
  function symvers(dir: string, files: Record<string, string> = {}): string {
    const d = join(root, dir);
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(join(d, rel, '..'), { recursive: true });
      writeFileSync(join(d, rel), text);
    }
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'Module.symvers'), '0x00000000\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n');
    return join(d, 'Module.symvers');
  }

  it("reads vmlinux's release and Debian version from its banner, not the compiler's Debian version", () => {
    expect(vmlinuxRelease('vmlinux', DEBIAN_BANNER)).toEqual({ file: 'vmlinux', release: '6.1.0-56-amd64', debianVersion: '6.1.192', debianPackage: '6.1.192-2' });
    expect(vmlinuxRelease('vmlinux', TREE_BANNER)).toEqual({ file: 'vmlinux', release: '6.1.170', debianVersion: undefined, debianPackage: undefined });
    expect(vmlinuxRelease('vmlinux', 'not a banner')).toBeUndefined();
  });

  it("reads a .config's kernel version from its header comment", () => {
    const text = '#\n# Automatically generated file; DO NOT EDIT.\n# Linux/x86 6.1.192 Kernel Configuration\n#\nCONFIG_X86_64=y\n';
    expect(KernelConfig.parse(text, '.config').kernelVersion).toBe('6.1.192');
    expect(KernelConfig.parse('CONFIG_X86_64=y\n', '.config').kernelVersion).toBeUndefined();
  });

  it('reads the releases a Module.symvers is known under from what lies next to it', () => {
    const debian = symvers('usr/src/linux-headers-6.1.0-56-amd64', { 'include/config/kernel.release': '6.1.192\n', 'include/generated/utsrelease.h': '#define UTS_RELEASE "6.1.0-56-amd64"\n' });
    expect(symversReleases(debian)).toEqual([
      { release: '6.1.192', from: join(root, 'usr/src/linux-headers-6.1.0-56-amd64/include/config/kernel.release') },
      { release: '6.1.0-56-amd64', from: join(root, 'usr/src/linux-headers-6.1.0-56-amd64/include/generated/utsrelease.h') },
      { release: '6.1.0-56-amd64', from: 'its directory linux-headers-6.1.0-56-amd64' },
    ]);
    expect(symversReleases(symvers('alone'))).toEqual([]);
  });

  it('accepts the parts of one kernel, and what cannot tell its release', () => {
    const debian = vmlinuxRelease('vmlinux', DEBIAN_BANNER)!;
    // Debian 6.1's include/config/kernel.release holds the upstream version, not uname -r.
    const upstreamOnly = symvers('build-6.1.192', { 'include/config/kernel.release': '6.1.192\n' });
    expect(() => checkSameRelease(debian, { symvers: upstreamOnly, config: { file: '.config', version: '6.1.192' } })).not.toThrow();
    expect(() => checkSameRelease(debian, { symvers: symvers('alone'), config: { file: '.config', version: undefined } })).not.toThrow();
    const tree = vmlinuxRelease('build/vmlinux', TREE_BANNER)!;
    expect(() => checkSameRelease(tree, { symvers: symvers('tree', { 'include/config/kernel.release': '6.1.170\n' }), config: { file: 'build/.config', version: '6.1.170' } })).not.toThrow();
  });

  it('rejects a Module.symvers or .config of another release, naming both', () => {
    const debian = vmlinuxRelease('vmlinux', DEBIAN_BANNER)!;
    const other = symvers('usr/src/linux-headers-6.12.117+deb12-amd64');
    expect(() => checkSameRelease(debian, { symvers: other })).toThrow(
      `${other}: belongs to kernel 6.12.117+deb12-amd64 (its directory linux-headers-6.12.117+deb12-amd64), but vmlinux is 6.1.0-56-amd64 (Debian 6.1.192-2): give the vmlinux, Module.symvers and .config of one kernel build`,
    );
    // Same ABI name, another stable release: 6.1.170's .config against 6.1.192's vmlinux.
    expect(() => checkSameRelease(debian, { config: { file: 'old/.config', version: '6.1.170' } })).toThrow(
      'old/.config: belongs to kernel 6.1.170 (its header), but vmlinux is 6.1.0-56-amd64 (Debian 6.1.192-2): give the vmlinux, Module.symvers and .config of one kernel build',
    );
    const tree = vmlinuxRelease('build/vmlinux', TREE_BANNER)!;
    expect(() => checkSameRelease(tree, { symvers: symvers('tree-192', { 'include/config/kernel.release': '6.1.192\n' }) })).toThrow(/belongs to kernel 6\.1\.192 \(.*kernel\.release\), but build\/vmlinux is 6\.1\.170:/);
  });
});
