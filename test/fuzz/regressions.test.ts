import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { runTarget } from '../../fuzz/contract.js';
import { TARGETS } from '../../fuzz/targets/index.js';

/**
 * Inputs the fuzzer found that broke the contract (fuzz/contract.ts), kept as files under
 * test/fuzz/regressions/<target>/: each is read by its target's reader as `npm run fuzz`
 * reads it, and must now give exactly the error below (each failed before its fix).
 */

const REGRESSIONS = join(__dirname, 'regressions');

interface Regression {
  readonly target: string;
  readonly input: string;
  /** The file the error names (its base name) and the problem, word for word. */
  readonly error: { file: string; problem: string };
}

const CASES: readonly Regression[] = [
  // A thin archive whose "/" symbol index has size "0X": parseInt read it as 0, and an empty
  // index was read for its 4-byte count (RangeError, exit 3).
  { target: 'archive', input: 'size-0X.a', error: { file: 'fuzzed.a', problem: 'bad member size at 0x8' } },
  { target: 'archive', input: 'empty-symbol-index.a', error: { file: 'fuzzed.a', problem: 'corrupt archive symbol index: 0 bytes, too short for its 4-byte symbol count' } },
  // A 533-byte image with "HdrS" at 0x202: the payload fields at 0x248 and 0x24c were read
  // past its end (RangeError, exit 3).
  // A certificate whose subjectKeyIdentifier extension holds its OID and nothing else: the
  // value was taken as the last of no elements (TypeError, exit 3). The 31-minute campaign.
  { target: 'certificates', input: 'ski-without-value.der', error: { file: 'vmlinux', problem: 'system_certificate_list at byte 542: subjectKeyIdentifier extension without its OCTET STRING value' } },
  { target: 'vmlinuz', input: 'short-header.bzImage', error: { file: 'vmlinuz', problem: 'truncated: 533 bytes, shorter than the boot protocol header (0x250 bytes)' } },
];

async function errorOf(target: string, input: Buffer): Promise<InputError> {
  const t = TARGETS.find((x) => x.name === target)!;
  try {
    await t.read(input, t.file(input));
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error(`${target}: the input was read without an error`);
}

describe('inputs the fuzzer found', () => {
  for (const c of CASES) {
    it(`${c.target}/${c.input}: ${c.error.problem}`, async () => {
      const input = readFileSync(join(REGRESSIONS, c.target, c.input));
      const err = await errorOf(c.target, input);
      expect({ file: basename(err.file), problem: err.problem }).toEqual(c.error);
      // And the contract holds as the engine judges it.
      await expect(Promise.resolve(runTarget(TARGETS.find((t) => t.name === c.target)!, input))).resolves.toBeUndefined();
    });
  }
});
