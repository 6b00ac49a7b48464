import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caught } from '../support/input-error.js';
import { NewKernel } from '../../src/kernel/kernel.js';
import { locateKernel } from '../../src/kernel/locate.js';
import { NEW_KERNEL } from '../support/paths.js';

/**
 * Issue 13, a leftover: NewKernel.moduleInfoOf swallowed every error reading the build
 * tree's <module>.ko, so a corrupt .ko made the license that governs a frozen object
 * silently unknown. Now only a .ko that is not there (or has no .modinfo) is "no answer".
 */

let tree: string;
const kernel = () => new NewKernel(locateKernel({ kernel: tree }));
const KO = () => join(tree, 'drivers', 'rng_mod.ko');

beforeAll(() => {
  tree = join(mkdtempSync(join(tmpdir(), 'relinkable-modinfo-')), 'new-kernel');
  cpSync(NEW_KERNEL, tree, { recursive: true });
});
afterAll(() => rmSync(join(tree, '..'), { recursive: true, force: true }));

describe('the .modinfo of the new tree’s build of a module', () => {
  it('is read from drivers/rng_mod.ko', () => {
    const got = kernel().moduleInfoOf('drivers/rng_mod');
    expect(got?.from).toBe(KO());
    expect(got?.info.license).toBe('GPL');
  });

  it('a .ko that is not there: no answer', () => {
    expect(kernel().moduleInfoOf('drivers/no_such_mod')).toBeUndefined();
  });

  it('a truncated .ko: an InputError naming it (was: no answer)', () => {
    const whole = readFileSync(KO());
    writeFileSync(KO(), whole.subarray(0, 40));
    try {
      const e = caught(() => kernel().moduleInfoOf('drivers/rng_mod'));
      expect(e.file).toBe(KO());
      expect(e.problem).toBe('truncated: ELF header at 0x0+0x40 ends past the end of the file (40 bytes)');
    } finally {
      writeFileSync(KO(), whole);
    }
  });

  it('a directory where the .ko belongs: an InputError naming it (was: no answer)', () => {
    const whole = readFileSync(KO());
    unlinkSync(KO());
    mkdirSync(KO());
    try {
      const e = caught(() => kernel().moduleInfoOf('drivers/rng_mod'));
      expect(e.file).toBe(KO());
      expect(e.problem).toBe('is a directory, not a file');
    } finally {
      rmSync(KO(), { recursive: true });
      writeFileSync(KO(), whole);
    }
  });
});
