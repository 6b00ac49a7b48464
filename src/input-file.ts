import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { InputError } from './errors.js';
import { LIMITS, overLimit, type Limit } from './limits.js';

/**
 * The one place where relinkable opens a file it reads. Every input — a frozen object, a
 * snapshot, vmlinux, Module.symvers, .config, System.map, a linker script, a reference
 * object, a catalogue file, modules.order, a .mod file, an archive member, a header — is
 * opened here, so that every input gets the same checks before a byte is read:
 *
 * - it must be a regular file (after following symbolic links): a directory, a FIFO, a
 *   socket or a device is an InputError naming the file and what it is — a FIFO would block
 *   the read forever, a directory would fail with EISDIR deep in a reader;
 * - a symbolic-link loop, a missing file, a permission problem: an InputError, one line;
 * - it is opened with O_NONBLOCK, so that a file swapped for a FIFO between the check and
 *   the open cannot block either (reads of a regular file ignore the flag), and checked again
 *   on the descriptor;
 * - what is read whole is held to a size limit (limits.ts) before it is read.
 *
 * test/architecture/imports.test.ts holds that no other module of src/ opens or reads a
 * file by path.
 */

/** What a file that is not a regular file is, in words. */
function nonRegular(st: Stats): string | undefined {
  if (st.isFile()) return undefined;
  if (st.isDirectory()) return 'is a directory, not a file';
  if (st.isFIFO()) return 'is a FIFO (named pipe), not a regular file';
  if (st.isSocket()) return 'is a socket, not a regular file';
  if (st.isCharacterDevice()) return 'is a character device, not a regular file';
  if (st.isBlockDevice()) return 'is a block device, not a regular file';
  return 'is not a regular file';
}

export function describeOpenError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT':
      return 'no such file';
    case 'ENOTDIR':
      return 'no such file (a component of the path is not a directory)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'ENAMETOOLONG':
      return 'file name too long';
    default:
      return `cannot open (${err.code ?? err.message})`;
  }
}

/** What identifies the file that was opened: a later reopen must find the same one. */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

const identityOf = (st: Stats): FileIdentity => ({ dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });

export interface OpenedInput {
  readonly path: string;
  readonly fd: number;
  readonly size: number;
  readonly identity: FileIdentity;
}

const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/** The type check on a path, before anything opens it. */
function checkPath(path: string, st: Stats): void {
  const not = nonRegular(st);
  if (not) throw new InputError(path, not);
}

/**
 * The inputs one run opened, each path once, in the order first opened: the run's inputs
 * manifest is made from it, so that it lists what was read and nothing else. A run collects
 * into its own log (AsyncLocalStorage), so two runs in one process do not mix their inputs.
 */
export class InputLog {
  /** Each path with its size when first opened. */
  readonly #opened = new Map<string, number>();
  add(path: string, size: number): void {
    if (!this.#opened.has(path)) this.#opened.set(path, size);
  }
  get opened(): readonly { readonly path: string; readonly size: number }[] {
    return [...this.#opened].map(([path, size]) => ({ path, size }));
  }
}

const activeLog = new AsyncLocalStorage<InputLog>();

/** Runs `work` with every input it opens (synchronously or after an await) added to `log`. */
export function collectInputs<T>(log: InputLog, work: () => T): T {
  return activeLog.run(log, work);
}

/** Adds inputs read earlier (kept by a cache, e.g. the bundled catalogue) to the running log, as if opened now. */
export function noteInputs(inputs: readonly { readonly path: string; readonly size: number }[]): void {
  const log = activeLog.getStore();
  for (const { path, size } of inputs) log?.add(path, size);
}

/** Opens an input for reading: a regular file, or an InputError naming the file and why not. The caller closes `fd`. */
export function openInput(path: string): OpenedInput {
  let fd: number;
  try {
    checkPath(path, statSync(path));
    fd = openSync(path, READ_FLAGS);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(path, describeOpenError(err as NodeJS.ErrnoException));
  }
  const st = fstatSync(fd);
  const not = nonRegular(st);
  if (not) {
    closeSync(fd);
    throw new InputError(path, not);
  }
  activeLog.getStore()?.add(path, st.size);
  return { path, fd, size: st.size, identity: identityOf(st) };
}

/** Opens the same file again (a source that gave its descriptor back); an InputError when it is no longer the file first opened. */
export function reopenInput(path: string, identity: FileIdentity): number {
  const opened = openInput(path);
  const now = opened.identity;
  if (now.dev !== identity.dev || now.ino !== identity.ino || now.size !== identity.size || now.mtimeMs !== identity.mtimeMs) {
    closeSync(opened.fd);
    throw new InputError(path, 'changed while it was being read (replaced, rewritten or resized): what was read so far may not describe it');
  }
  return opened.fd;
}

/** Reads `length` bytes at `position` of an open input, all of them, or an InputError. */
export function readFully(path: string, fd: number, buffer: Buffer, offset: number, length: number, position: number, what: string): void {
  let done = 0;
  while (done < length) {
    let n: number;
    try {
      n = readSync(fd, buffer, offset + done, length - done, position + done);
    } catch (err) {
      throw new InputError(path, `read error at 0x${(position + done).toString(16)} (${what}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (n === 0) throw new InputError(path, `truncated: the file shrank while ${what} was read`);
    done += n;
  }
}

/** A whole input's bytes, when it is no larger than `limit`. */
export function readInputBytes(path: string, what: string, limit: Limit = LIMITS.TEXT_FILE_SIZE): Buffer {
  const opened = openInput(path);
  try {
    if (opened.size > limit.value) throw new InputError(path, overLimit(limit, `${what} too large`, opened.size));
    const bytes = Buffer.allocUnsafe(opened.size);
    readFully(path, opened.fd, bytes, 0, opened.size, 0, what);
    return bytes;
  } finally {
    closeSync(opened.fd);
  }
}

/** A whole text input, decoded, when it is no larger than `limit`. */
export function readInputText(path: string, what: string, encoding: 'utf8' | 'latin1' = 'utf8', limit: Limit = LIMITS.TEXT_FILE_SIZE): string {
  return readInputBytes(path, what, limit).toString(encoding);
}

/** Whether something exists at `path` (of any type: reading it says whether it is a file). */
export function inputExists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * An optional input found by looking (a build directory's System.map, modules.order):
 * undefined when nothing is there; the path when a regular file is; an InputError when
 * something else is (a FIFO or a directory where a file belongs is not quietly "absent").
 */
export function optionalInput(path: string): string | undefined {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new InputError(path, describeOpenError(err as NodeJS.ErrnoException));
  }
  checkPath(path, st);
  return path;
}

/** A whole line-oriented text input (Module.symvers, .config, modules.order, …), each line held to LIMITS.TEXT_LINE_LENGTH. */
export function readInputLines(path: string, what: string, encoding: 'utf8' | 'latin1' = 'utf8'): string {
  const text = readInputText(path, what, encoding);
  checkLineLengths(text, path);
  return text;
}

/** Every line of `text` held to LIMITS.TEXT_LINE_LENGTH: an InputError naming the line and the limit. */
export function checkLineLengths(text: string, file: string): void {
  const max = LIMITS.TEXT_LINE_LENGTH.value;
  if (text.length <= max) return;
  let line = 1;
  for (let start = 0; start < text.length; line++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end - start > max) throw new InputError(file, overLimit(LIMITS.TEXT_LINE_LENGTH, `line ${line} too long`, end - start));
    start = end + 1;
  }
}

/** An input's sha256 and size, read through in blocks (vmlinux is hundreds of MB: never whole). */
export function hashInput(path: string): { sha256: string; size: number } {
  const opened = openInput(path);
  try {
    const hash = createHash('sha256');
    const block = Buffer.allocUnsafe(Math.min(HASH_BLOCK, Math.max(opened.size, 1)));
    for (let at = 0; at < opened.size; ) {
      const n = Math.min(block.length, opened.size - at);
      readFully(path, opened.fd, block, 0, n, at, 'the file for its digest');
      hash.update(block.subarray(0, n));
      at += n;
    }
    return { sha256: hash.digest('hex'), size: opened.size };
  } finally {
    closeSync(opened.fd);
  }
}

const HASH_BLOCK = 4 << 20;
