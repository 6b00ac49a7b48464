import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BufferSource, readArchive } from '../../src/elf/index.js';
import { fixture, scratchFile, scratchPath, type FuzzTarget } from '../target.js';

const FILE = 'fuzzed.a';

/** An `ar` archive, regular or thin: members, long names, the symbol index, thin members' paths. */
export const archiveTarget: FuzzTarget = {
  name: 'archive',
  input: 'an ar archive (regular or thin)',
  seeds() {
    const out = new Map<string, Buffer>([
      ['new-kernel-vmlinux.a', readFileSync(fixture('new-kernel', 'vmlinux.a'))],
      ['old-kernel-vmlinux.a', readFileSync(fixture('old-kernel', 'vmlinux.a'))],
    ]);
    // A regular archive with a symbol index and a long member name, as `ar rcs` writes it.
    const long = scratchFile('a-member-name-longer-than-sixteen-characters.o', readFileSync(fixture('frozen', 'prim_cfi.o')));
    const archive = scratchPath('seed.a');
    execFileSync('ar', ['rcs', archive, long, fixture('frozen', 'prim_kcov.o')]);
    out.set('regular.a', readFileSync(archive));
    return out;
  },
  file: () => FILE,
  read(data) {
    const archive = readArchive(new BufferSource(FILE, data), FILE);
    if (archive.thin) for (const m of archive.members) archive.memberPath(m);
  },
};
