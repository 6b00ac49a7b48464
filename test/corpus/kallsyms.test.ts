import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BufferSource, ElfFile } from '../../src/elf/index.js';
import { readKallsyms } from '../../src/kernel/kallsyms.js';
import { FIXTURES } from '../support/paths.js';

/**
 * kallsyms decoded from a small stripped vmlinux that the kernel's own scripts/kallsyms
 * encoded (fixtures/kallsyms/build.sh, over the fixture kernel, two passes as link-vmlinux.sh
 * does): nm of the same link before stripping is the oracle. The Debian light kernels test
 * the same reader at full size (light-kernel.test.ts).
 */
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'relinkable-kallsyms-'));
  execFileSync(join(FIXTURES, 'kallsyms', 'build.sh'), [dir], { stdio: 'pipe' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kallsyms of a stripped vmlinux, against nm of the same link', () => {
  it('every symbol scripts/kallsyms encodes, with its address and type', () => {
    const stripped = join(dir, 'vmlinux.stripped');
    const elf = new ElfFile(new BufferSource(stripped, readFileSync(stripped)));
    expect(elf.symtab()).toBeUndefined();
    const kallsyms = readKallsyms(elf)!;
    // What scripts/kallsyms keeps of `nm -n`: no absolute, undefined or weak-undefined
    // symbols, not its own tables, not CFI type ids (its ignored_prefixes).
    const nm = execFileSync('nm', ['-n', join(dir, 'vmlinux')], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l && !/ [aAUNw] /.test(l))
      .map((l) => l.split(' '))
      .filter(([, , name]) => !name!.startsWith('kallsyms_') && !name!.startsWith('__kcfi_typeid_'));
    expect(nm.length).toBeGreaterThan(150);
    const decoded = kallsyms.entries.map((e) => [e.address.toString(16).padStart(16, '0'), e.type, e.name]);
    expect(decoded.sort()).toEqual(nm.sort());
  });
});
