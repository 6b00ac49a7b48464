import { InputError } from '../../src/errors.js';

/** The InputError `fn` throws; any other error is rethrown, and no error at all fails the test. */
export function caught(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}
