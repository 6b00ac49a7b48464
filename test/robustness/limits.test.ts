import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BufferSource, ElfFile } from '../../src/elf/index.js';
import { InputError } from '../../src/errors.js';
import { LIMITS } from '../../src/limits.js';
import { FROZEN_DRIVER, NEW_KERNEL, ROOT } from '../support/paths.js';
import { runCli } from '../support/run.js';

/** Limits are data (issue 13): each named, with a reason, documented, and named by the error that hits it. */
describe('the limits on input', () => {
  it('each has a name matching its key, a positive value, a unit and a reason', () => {
    for (const [key, l] of Object.entries(LIMITS)) {
      expect(l.name).toBe(key);
      expect(l.value).toBeGreaterThan(0);
      expect(l.unit).not.toBe('');
      expect(l.why.length).toBeGreaterThan(20);
    }
  });

  it('docs/robustness.md lists each one', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'robustness.md'), 'utf8');
    for (const name of Object.keys(LIMITS)) expect(doc, name).toContain(`| \`${name}\` |`);
  });

  it('an error at a limit names it: a section table of 2^24 + 1 entries', () => {
    const bytes = Buffer.from(readFileSync(FROZEN_DRIVER));
    // Extended numbering: e_shnum 0, section 0's sh_size holds the count.
    bytes.writeUInt16LE(0, 60);
    const shoff = Number(bytes.readBigUInt64LE(40));
    bytes.writeBigUInt64LE(BigInt(2 ** 24 + 1), shoff + 32);
    let caught: unknown;
    try {
      new ElfFile(new BufferSource('big.o', bytes));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InputError);
    expect((caught as InputError).message).toBe('big.o: section table too large: 16777217 sections, over the limit SECTION_COUNT (16777216)');
  });

  it('a line of a line-oriented input past TEXT_LINE_LENGTH: refused with its line number', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relinkable-limits-'));
    try {
      const config = join(dir, 'config');
      writeFileSync(config, `CONFIG_X86_64=y\nCONFIG_CMDLINE="${'x'.repeat(1024 * 1024)}"\n`);
      expect(await runCli(['check', FROZEN_DRIVER, '--kernel', NEW_KERNEL, '--config', config])).toEqual({
        status: 2,
        stdout: '',
        stderr: `relinkable: error: ${config}: line 2 too long: 1048593 characters, over the limit TEXT_LINE_LENGTH (1048576)\n`,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
