import { LIMITS } from './limits.js';

/**
 * Input the tool cannot use: a missing, unreadable, truncated or malformed file, or a
 * kernel directory that lacks what a check needs. Rendered as one printable line that names
 * the file; the CLI maps it to exit code 2. Readers throw it with the byte offset where
 * reading failed so that a bug report about a hostile file can point at the bytes.
 * `file` and `problem` keep what the reader gave; `message` is escaped (printable()).
 */
export class InputError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(printable(`${file}: ${problem}`));
    this.name = 'InputError';
  }
}

/** A command line that does not make sense (unknown option value, no objects given). Exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(printable(message));
    this.name = 'UsageError';
  }
}

export function hex(value: number | bigint): string {
  return `0x${value.toString(16)}`;
}

/**
 * Characters that must not reach a terminal or a log line raw: C0 and C1 controls (newline,
 * carriage return, escape…), DEL, the Unicode line and paragraph separators, and the
 * invisible direction marks and overrides that make a line read other than it is.
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * Text for one line of output: unprintable characters escaped (\n, \r, \t, \e, else \xNN or
 * \u{NNNN}), and a line longer than LIMITS.ERROR_LINE_LENGTH cut in its middle with a count
 * of what was left out. Raw bytes of hostile input quoted in an error stay on one line.
 */
export function printable(text: string): string {
  const escaped = text.replace(UNPRINTABLE, (c) => {
    const code = c.charCodeAt(0);
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    if (code === 0x1b) return '\\e';
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
  const max = LIMITS.ERROR_LINE_LENGTH.value;
  if (escaped.length <= max) return escaped;
  const keep = Math.floor((max - 40) / 2);
  return `${escaped.slice(0, keep)} … (${escaped.length - 2 * keep} characters left out) … ${escaped.slice(-keep)}`;
}

/**
 * What JSON.parse said was wrong, without the input it quotes (V8 writes `Unexpected token
 * 'x', "…the text…" is not valid JSON`, and the text may span lines or hold any byte); with
 * the text, a position becomes a line and column.
 */
export function jsonSyntaxError(err: unknown, text?: string): string {
  const message = (err instanceof Error ? err.message : String(err))
    .replace(/,\s*"[\s\S]*"\s*is not valid JSON\s*$/, '')
    .replace(/\s+/g, ' ')
    .trim();
  const at = /at position (\d+)/.exec(message);
  if (!at || text === undefined) return message;
  const position = Number(at[1]);
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return message.replace(/ in JSON at position \d+| at position \d+/, ` at line ${line}, column ${column}`);
}
