import { InputError } from '../src/errors.js';
import type { FuzzTarget } from './target.js';
import { LIMITS } from '../src/limits.js';

/**
 * The contract every reader keeps with hostile input (docs/architecture.md, errors): it
 * returns, or throws an InputError whose message is one printable line naming the file.
 * Anything else thrown is a bug the fuzzer reports as a crash; time and memory are bounded
 * by the engine (fuzz/run.ts: per-input timeout, RSS limit).
 */
export class ContractViolation extends Error {
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
    this.name = 'ContractViolation';
  }
}

/** What must never reach an error line raw: controls, DEL, C1, the line and paragraph separators. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Throws a ContractViolation unless `err` is an InputError worded as one line naming `file`. */
export function expectInputError(err: unknown, file: string): void {
  if (!(err instanceof InputError)) {
    const what = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
    throw new ContractViolation(`not an InputError: ${what}`, { cause: err });
  }
  const message = err.message;
  if (UNPRINTABLE.test(message)) throw new ContractViolation(`an error line holds an unprintable character: ${JSON.stringify(message)}`);
  if (message.length > LIMITS.ERROR_LINE_LENGTH.value) throw new ContractViolation(`an error line of ${message.length} characters`);
  if (!message.startsWith(`${file}: `) && !message.startsWith(`${file} (`)) {
    throw new ContractViolation(`an error line that does not begin with the file it is about (${file}): ${message}`);
  }
}

/** Runs one input through a target's reader: returning is fine, so is an InputError about the input's file. */
export function runTarget(target: FuzzTarget, data: Buffer): void | Promise<void> {
  const file = target.file(data);
  if (target.async) return (async () => {
    try {
      await target.read(data, file);
    } catch (err) {
      expectInputError(err, file);
    }
  })();
  try {
    void target.read(data, file);
  } catch (err) {
    expectInputError(err, file);
  }
}
