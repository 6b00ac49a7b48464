import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElfFile, FileSource, readArchive } from '../../src/elf/index.js';
import { InputError } from '../../src/errors.js';
import { KernelConfig } from '../../src/kernel/kconfig.js';
import { readVmlinuxExports } from '../../src/kernel/ksymtab.js';
import { locateKernel } from '../../src/kernel/locate.js';
import { readModuleInfo } from '../../src/object/module-info.js';
import { isGplCompatible } from '../../src/facts/module.js';
import { parseSystemMap, readSystemMap } from '../../src/kernel/system-map.js';
import { parseModuleSymvers, readModuleSymvers } from '../../src/kernel/symvers.js';
import { FROZEN_MODULE, NEW_KERNEL, OLD_KERNEL } from '../support/paths.js';

describe('Module.symvers', () => {
  it('reads the columns in the order modpost writes them: CRC, symbol, module, export type, namespace', () => {
    const exports = parseModuleSymvers(
      '0x26c6744f\trng_stat_read\tvmlinux\tEXPORT_SYMBOL\tRNG_INTERNAL\n0xdb9257b8\trng_mod_api\tdrivers/rng_mod\tEXPORT_SYMBOL_GPL\t\n',
      'Module.symvers',
    );
    expect(exports.get('rng_stat_read')).toEqual({
      name: 'rng_stat_read',
      crc: 0x26c6744f,
      module: 'vmlinux',
      exportType: 'EXPORT_SYMBOL',
      namespace: 'RNG_INTERNAL',
      gplOnly: false,
      line: 1,
    });
    expect(exports.get('rng_mod_api')).toMatchObject({ module: 'drivers/rng_mod', gplOnly: true, namespace: undefined, line: 2 });
  });

  it('accepts the four-column files of kernels before namespaces (v5.4)', () => {
    expect(parseModuleSymvers('0x1\tfoo\tvmlinux\tEXPORT_SYMBOL\n', 'old').get('foo')).toMatchObject({ crc: 1, namespace: undefined });
  });

  it.each([
    ['foo\t0x1\tvmlinux\tEXPORT_SYMBOL\t\n', "line 1: bad CRC field 'foo' (is this Module.symvers?)"],
    ['0x1\tfoo\tvmlinux\tEXPORT_SOMETHING\t\n', "line 1: unknown export type 'EXPORT_SOMETHING'"],
    ['0x1 foo vmlinux EXPORT_SYMBOL\n', 'line 1: expected 4 or 5 tab-separated fields, found 1'],
    ['0x1\tfoo\tvmlinux\tEXPORT_SYMBOL\t\n0x2\tbar\tvml', 'truncated: line 2 has no end'],
  ])('rejects %j with one line naming the file and the line', (text, problem) => {
    // Lines are indexed on load and decoded when asked for; all() asks for every one.
    expect(() => parseModuleSymvers(text, 'x/Module.symvers').all()).toThrow(new InputError('x/Module.symvers', problem));
  });

  it('agrees with the exports vmlinux records in its own __ksymtab (names, GPL-only, namespace)', () => {
    const fromSymvers = readModuleSymvers(join(NEW_KERNEL, 'Module.symvers')).all()
      .filter((e) => e.module === 'vmlinux')
      .map((e) => [e.name, e.gplOnly, e.namespace])
      .sort();
    const fromVmlinux = [...readVmlinuxExports(ElfFile.open(join(NEW_KERNEL, 'vmlinux'))).values()].map((e) => [e.name, e.gplOnly, e.namespace]).sort();
    expect(fromVmlinux).toEqual(fromSymvers);
    expect(fromVmlinux).toContainEqual(['rng_stat_read', false, 'RNG_INTERNAL']);
    expect(fromVmlinux).toContainEqual(['register_rng', true, undefined]);
  });
});

describe('.config', () => {
  it('reads values, strings, unset options and CONFIG_CC_VERSION_TEXT', () => {
    const c = KernelConfig.parse(
      '#\n# comment\nCONFIG_CC_VERSION_TEXT="gcc (Debian 12.2.0-14+deb12u1) 12.2.0"\nCONFIG_MODULES=y\nCONFIG_FOO=m\nCONFIG_PADDING=16\n# CONFIG_X86_KERNEL_IBT is not set\n',
      '.config',
    );
    expect(c.compilerVersionText).toBe('gcc (Debian 12.2.0-14+deb12u1) 12.2.0');
    expect([c.get('MODULES'), c.get('FOO'), c.get('PADDING'), c.get('X86_KERNEL_IBT'), c.get('ABSENT')]).toEqual(['y', 'm', '16', 'n', 'n']);
    expect([c.enabled('FOO'), c.enabled('X86_KERNEL_IBT'), c.has('X86_KERNEL_IBT'), c.has('ABSENT')]).toEqual([true, false, true, false]);
  });

  it('refuses a file that is not a .config', () => {
    expect(() => KernelConfig.parse('hello world\n', 'notes.txt')).toThrow(new InputError('notes.txt', 'line 1: not a Kconfig assignment: hello world'));
  });
});

describe('System.map', () => {
  it('reads what nm -n wrote', () => {
    const map = readSystemMap(join(NEW_KERNEL, 'System.map'));
    const nm = execFileSync('nm', ['-n', join(NEW_KERNEL, 'vmlinux')], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l && !/ [aNUw] /.test(l));
    expect(map.length).toBe(nm.length);
    expect(map.find((e) => e.name === 'start_kernel')).toMatchObject({ type: 'T' });
  });

  it('refuses garbage', () => {
    expect(() => parseSystemMap('not a map\n', 'System.map')).toThrow(InputError);
  });
});

describe('module metadata (.modinfo, __versions, .gnu.linkonce.this_module)', () => {
  it('reads the frozen module as readelf shows it', () => {
    const info = readModuleInfo(ElfFile.open(FROZEN_MODULE))!;
    expect(info.name).toBe('rng_mod');
    expect(info.license).toBe('Proprietary');
    expect(info.vermagic).toBe('6.1.0-fixture SMP preempt mod_unload modversions ');
    expect(info.importedNamespaces).toEqual([]);
    expect(info.thisModuleSize).toBe(896);
    // The CRCs the old kernel's Module.symvers gave each import.
    const old = readModuleSymvers(join(OLD_KERNEL, 'Module.symvers'));
    expect(info.versions.length).toBeGreaterThan(5);
    for (const v of info.versions) expect(v.crc).toBe(old.get(v.name)!.crc);
  });

  it('is undefined for a plain object', () => {
    expect(readModuleInfo(ElfFile.open(join(NEW_KERNEL, 'kernel', 'core.o')))).toBeUndefined();
  });

  it('knows the licenses the module loader calls GPL-compatible', () => {
    expect(['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL'].every(isGplCompatible)).toBe(true);
    expect([undefined, 'Proprietary', 'BSD', 'gpl'].some(isGplCompatible)).toBe(false);
  });
});

describe('archives', () => {
  it('reads a thin archive (vmlinux.a) as ar lists it', () => {
    const path = join(NEW_KERNEL, 'vmlinux.a');
    const archive = readArchive(FileSource.open(path), path);
    // ar prints thin members relative to its working directory: run it where the archive is.
    const truth = execFileSync('ar', ['t', 'vmlinux.a'], { encoding: 'utf8', cwd: NEW_KERNEL }).trim().split('\n');
    expect(archive.thin).toBe(true);
    expect(archive.members.map((m) => m.name)).toEqual(truth);
  });

  it("reads a regular archive's symbol index as nm -s prints it", () => {
    const path = join(NEW_KERNEL, 'arch', 'x86', 'lib', 'lib.a');
    const archive = readArchive(FileSource.open(path), path);
    expect(archive.thin).toBe(false);
    const index = execFileSync('nm', ['-s', path], { encoding: 'utf8' });
    const truth = [...index.matchAll(/^(\S+) in (\S+)$/gm)].map((m) => [m[1], m[2]]);
    expect([...archive.symbolIndex]).toEqual(truth);
  });
});

describe('finding the new kernel', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'relinkable-locate-'));
    const abi = '6.12.117+deb12-amd64';
    mkdirSync(join(dir, 'debian', 'usr', 'lib', 'debug', 'boot'), { recursive: true });
    mkdirSync(join(dir, 'debian', 'usr', 'src', `linux-headers-${abi}`), { recursive: true });
    symlinkSync(join(NEW_KERNEL, 'vmlinux'), join(dir, 'debian', 'usr', 'lib', 'debug', 'boot', `vmlinux-${abi}`));
    writeFileSync(join(dir, 'debian', 'usr', 'lib', 'debug', 'boot', `System.map-${abi}`), '');
    symlinkSync(join(NEW_KERNEL, 'Module.symvers'), join(dir, 'debian', 'usr', 'src', `linux-headers-${abi}`, 'Module.symvers'));
    mkdirSync(join(dir, 'two', 'usr', 'lib', 'debug', 'boot'), { recursive: true });
    for (const a of ['6.1.0-47-amd64', '6.1.0-56-amd64']) writeFileSync(join(dir, 'two', 'usr', 'lib', 'debug', 'boot', `vmlinux-${a}`), '');
    mkdirSync(join(dir, 'half-built'));
    writeFileSync(join(dir, 'half-built', 'vmlinux.a'), '!<thin>\n');
    mkdirSync(join(dir, 'empty'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('recognises a make O= build directory and reports each part', () => {
    const a = locateKernel({ kernel: NEW_KERNEL });
    expect(a).toMatchObject({
      layout: 'build-dir',
      vmlinux: join(NEW_KERNEL, 'vmlinux'),
      symvers: join(NEW_KERNEL, 'Module.symvers'),
      config: join(NEW_KERNEL, '.config'),
      systemMap: join(NEW_KERNEL, 'System.map'),
      linkerScript: join(NEW_KERNEL, 'arch', 'x86', 'kernel', 'vmlinux.lds'),
      vmlinuxArchive: join(NEW_KERNEL, 'vmlinux.a'),
      libraryArchives: [join(NEW_KERNEL, 'arch', 'x86', 'lib', 'lib.a')],
    });
  });

  it('recognises unpacked Debian -dbg and -headers packages', () => {
    const a = locateKernel({ kernel: join(dir, 'debian') });
    expect(a).toMatchObject({ layout: 'debian', abi: '6.12.117+deb12-amd64', config: undefined, linkerScript: undefined });
    expect(a.symvers).toBe(join(dir, 'debian', 'usr', 'src', 'linux-headers-6.12.117+deb12-amd64', 'Module.symvers'));
    expect(a.systemMap).toBe(join(dir, 'debian', 'usr', 'lib', 'debug', 'boot', 'System.map-6.12.117+deb12-amd64'));
  });

  it('lets explicit files override what the layout found', () => {
    expect(locateKernel({ kernel: NEW_KERNEL, symvers: 'other.symvers' }).symvers).toBe('other.symvers');
    expect(locateKernel({ vmlinux: 'v', config: 'c' })).toMatchObject({ layout: 'explicit', vmlinux: 'v', config: 'c', symvers: undefined });
  });

  it.each([
    ['empty', 'not a kernel build: no vmlinux here (expected a make O= build directory, unpacked Debian linux-image-*-dbg with usr/lib/debug/boot/vmlinux-*, or an unpacked linux-image-* with boot/vmlinuz-*)'],
    ['half-built', 'kernel build directory without a vmlinux (the build did not finish, or vmlinux was removed)'],
    ['absent', 'no such directory'],
  ])('%s: one line naming the directory and the problem', (name, problem) => {
    expect(() => locateKernel({ kernel: join(dir, name) })).toThrow(new InputError(join(dir, name), problem));
  });

  it('asks which kernel when a Debian layout holds several', () => {
    expect(() => locateKernel({ kernel: join(dir, 'two') })).toThrow(/holds several kernels \(6\.1\.0-47-amd64, 6\.1\.0-56-amd64\); choose one with --release/);
    expect(locateKernel({ kernel: join(dir, 'two'), release: '6.1.0-56-amd64' }).abi).toBe('6.1.0-56-amd64');
  });
});
