import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ELF_FIXTURES, FROZEN_DRIVER, FROZEN_MODULE } from '../support/paths.js';
import { runCli } from '../support/run.js';

/** Unusable input and command lines: exit 2 and one line naming what is wrong, never a report. */
describe('relinkable verify: unusable input', () => {
  it.each([
    [['verify', FROZEN_DRIVER], 'relinkable: error: frozen objects are verified against the file they were linked into: --linked <vmlinux | module.ko>'],
    [['verify'], 'relinkable: error: nothing to verify: give frozen objects with --linked, or an integrity scheme (--fips140-embedded, --android-fips140, --rhel-hmac)'],
    [['verify', FROZEN_DRIVER, '--linked', join(ELF_FIXTURES, 'sample.c')], `relinkable: error: ${join(ELF_FIXTURES, 'sample.c')}: not an ELF file`],
    [['verify', join(ELF_FIXTURES, 'aarch64-relink.o'), '--linked', FROZEN_MODULE], `relinkable: error: ${join(ELF_FIXTURES, 'aarch64-relink.o')}: is AArch64, the linked file ${FROZEN_MODULE} is x86-64`],
    [['verify', FROZEN_MODULE, '--linked', FROZEN_MODULE, '--fips140-embedded'], 'relinkable: error: --fips140-embedded reads the vmlinux given with --linked'],
    [['verify', '--rhel-hmac', FROZEN_DRIVER], `relinkable: error: ${join(FROZEN_DRIVER, '..', '.rng_driver.o.hmac')}: `],
  ])('%j', async (args, message) => {
    const r = await runCli(args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.stderr.startsWith(message)).toBe(true);
  });
});
