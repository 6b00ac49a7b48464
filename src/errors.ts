/**
 * Input the tool cannot use: a missing, unreadable, truncated or malformed file, or a
 * kernel directory that lacks what a check needs. Rendered as one line that names the file;
 * the CLI maps it to exit code 2. Readers throw it with the byte offset where reading failed
 * so that a bug report about a hostile file can point at the bytes.
 */
export class InputError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'InputError';
  }
}

/** A command line that does not make sense (unknown option value, no objects given). Exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function hex(value: number | bigint): string {
  return `0x${value.toString(16)}`;
}
