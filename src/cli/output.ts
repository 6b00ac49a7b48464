import { closeSync, constants, fstatSync, ftruncateSync, openSync, statSync, writeFileSync, writeSync, type Stats } from 'node:fs';
import { InputError } from '../errors.js';
import { describeOpenError } from '../input-file.js';

/**
 * Writes a report or a snapshot to the file --output names. The target is a regular file
 * (created, or truncated and rewritten) or a character device (/dev/null, a terminal):
 * writing there cannot block for want of a reader. A FIFO, a socket, a directory or a block
 * device is refused with one line saying what it is — a FIFO nobody reads would block the
 * write forever; to feed a pipe, leave --output out and pipe standard output. The file is
 * opened with O_NONBLOCK so that a FIFO put in its place after the check fails (ENXIO)
 * instead of blocking.
 */
export function writeOutputFile(path: string, text: string, what: string): void {
  const fail = (problem: string): never => {
    throw new InputError(path, `cannot write the ${what}: ${problem}`);
  };
  let existing: Stats | undefined;
  try {
    existing = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') fail(describeOpenError(err as NodeJS.ErrnoException));
  }
  if (existing?.isCharacterDevice()) {
    try {
      writeFileSync(path, text);
    } catch (err) {
      fail((err as NodeJS.ErrnoException).code ?? (err as Error).message);
    }
    return;
  }
  if (existing && !existing.isFile()) fail(`${refusedKind(existing)} (--output writes a regular file; leave it out to write to standard output)`);
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_NONBLOCK | constants.O_NOCTTY, 0o666);
    const st = fstatSync(fd);
    if (!st.isFile()) fail(`${refusedKind(st)} (--output writes a regular file; leave it out to write to standard output)`);
    ftruncateSync(fd, 0);
    const bytes = Buffer.from(text, 'utf8');
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, done);
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    fail(code === 'ENXIO' ? 'is a FIFO with no reader' : code === 'EISDIR' ? 'is a directory' : describeWriteError(err as NodeJS.ErrnoException));
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function refusedKind(st: Stats): string {
  if (st.isDirectory()) return 'is a directory';
  if (st.isFIFO()) return 'is a FIFO (named pipe)';
  if (st.isSocket()) return 'is a socket';
  if (st.isBlockDevice()) return 'is a block device';
  return 'is not a regular file';
}

function describeWriteError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
    case 'ENOTDIR':
      return 'no such directory';
    case 'ENOSPC':
      return 'no space left on the device';
    default:
      return err.code ?? err.message;
  }
}
