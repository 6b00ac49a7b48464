import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { BufferSource, ElfFile } from '../../src/elf/index.js';
import { readKallsyms } from '../../src/kernel/kallsyms.js';
import { decompressVmlinuz } from '../../src/kernel/vmlinuz.js';
import { SystemMap, SystemMapSymbols } from '../../src/kernel/system-map.js';
import { readLinkMap, namesObject } from '../../src/verify/link-map.js';
import { readWaivers } from '../../src/waivers/read.js';
import { fixture, scratchFile, scratchPath, type FuzzTarget } from '../target.js';

/**
 * The inputs besides the object and the kernel's ELF and text files: a System.map (the
 * symbols of a stripped vmlinux), a compressed kernel image (a light kernel's vmlinuz), the
 * ld map file `verify --map` reads, and a waivers file.
 */

const VMLINUX = fixture('new-kernel', 'vmlinux');
let vmlinuxSections: ElfFile['sections'] | undefined;

export const systemMapTarget: FuzzTarget = {
  name: 'system-map',
  input: 'a System.map, read whole and sampled, its symbols placed in the fixture vmlinux sections',
  seeds: () => new Map([['new-kernel-System.map', readFileSync(fixture('new-kernel', 'System.map'))]]),
  file: (data) => scratchFile('System.map', data),
  read(_data, path) {
    const map = new SystemMap(path);
    map.sample();
    vmlinuxSections ??= new ElfFile(new BufferSource(VMLINUX, readFileSync(VMLINUX))).sections;
    const symbols = new SystemMapSymbols(map, vmlinuxSections);
    for (const s of symbols.all().slice(0, 64)) symbols.named(s.name);
  },
};

/**
 * A bzImage as the x86 boot protocol lays it out around a payload: 2 setup sectors with
 * "HdrS" and the protocol version, the payload after 0x40 bytes of protected-mode code, and
 * its offset and length in the header. The payload ends with the decompressed size: a gzip
 * stream's own trailer, or `withSize` for the other compressions (size_append). The vmlinuz
 * tests build their images with it too.
 */
export function bzImage(payload: Buffer, protocol = 0x20f): Buffer {
  const setupSectors = 2;
  const head = Buffer.alloc((setupSectors + 1) * 512 + 0x40);
  head[0x1f1] = setupSectors;
  head.write('HdrS', 0x202, 'latin1');
  head.writeUInt16LE(protocol, 0x206);
  head.writeUInt32LE(0x40, 0x248);
  head.writeUInt32LE(payload.length, 0x24c);
  return Buffer.concat([head, payload]);
}

/** A compressed stream with the decompressed size appended, as scripts/Makefile.lib's size_append does for every compression but gzip. */
export function withSize(stream: Buffer, size: number): Buffer {
  const tail = Buffer.alloc(4);
  tail.writeUInt32LE(size);
  return Buffer.concat([stream, tail]);
}

export const vmlinuzTarget: FuzzTarget = {
  name: 'vmlinuz',
  input: 'a compressed kernel image (bzImage) and the vmlinux it holds',
  seeds() {
    const elf = readFileSync(VMLINUX);
    const tool = (cmd: string, args: string[]) => execFileSync(cmd, args, { input: elf, maxBuffer: 1 << 26 });
    const seeds = new Map([
      ['gzip.bzImage', bzImage(gzipSync(elf))],
      ['xz.bzImage', bzImage(withSize(tool('xz', ['-c', '--check=crc32']), elf.length))],
      ['zstd.bzImage', bzImage(withSize(tool('zstd', ['-c', '-q']), elf.length))],
    ]);
    // A stripped vmlinux with kallsyms, as a light kernel's (fixtures/kallsyms/build.sh), when
    // the corpus trees it takes scripts/kallsyms from are there.
    const kallsyms = scratchPath('kallsyms');
    try {
      execFileSync(fixture('kallsyms', 'build.sh'), [kallsyms], { stdio: 'ignore' });
      const stripped = readFileSync(`${kallsyms}/vmlinux.stripped`);
      seeds.set('kallsyms-gzip.bzImage', bzImage(gzipSync(stripped)));
    } catch {
      process.stderr.write('fuzz: vmlinuz: no kallsyms seed (fixtures/kallsyms/build.sh needs the corpus trees)\n');
    }
    return seeds;
  },
  file: (data) => scratchFile('vmlinuz', data),
  read(_data, path) {
    const image = decompressVmlinuz(path);
    const vmlinux = new ElfFile(new BufferSource(`${path} (vmlinux)`, image.bytes));
    // A light kernel's vmlinux is stripped: its symbols come from kallsyms.
    if (!vmlinux.symtab()) readKallsyms(vmlinux);
  },
};

export const linkMapTarget: FuzzTarget = {
  name: 'link-map',
  input: 'an ld map file (-Map), as verify --map reads it',
  seeds() {
    const map = scratchPath('seed.map');
    const elf = (name: string) => fixture('elf', name);
    execFileSync('ld', ['-m', 'elf_i386', '-Ttext=0xc1000000', '-e', 'relink_entry', '-Map', map, elf('i386-relink.o'), elf('i386-relink_other.o'), '-o', scratchPath('seed.out')]);
    return new Map([['i386-relink.map', readFileSync(map)]]);
  },
  file: (data) => scratchFile('link.map', data),
  read(_data, path) {
    for (const e of readLinkMap(path)) namesObject(e.input, 'i386-relink.o');
  },
};

export const waiversTarget: FuzzTarget = {
  name: 'waivers',
  input: 'a waivers file (YAML or JSON)',
  seeds: () =>
    new Map([
      [
        'waivers.yaml',
        Buffer.from(
          'version: 1\nwaivers:\n  - id: landing-pad-missing\n    symbol: prim_cb_ptr\n    object: "*/prim_cfi.o"\n    section: .data\n    justification: the relinked kernel is built without IBT\n    approver: J. Auditor\n    expires: 2026-12-31\n  - id: undefined-symbol\n    type: "struct *"\n    justification: none left\n    approver: J. Auditor\n    expires: 2026-12-31\n',
        ),
      ],
      ['waivers.json', Buffer.from(JSON.stringify({ version: 1, waivers: [{ id: 'layout-changed', symbol: 'struct sock', justification: 'reviewed', approver: 'A. B.', expires: '2027-01-31' }] }))],
    ]),
  file: (data) => scratchFile('waivers.yaml', data),
  read(_data, path) {
    readWaivers(path);
  },
};
