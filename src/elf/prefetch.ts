import type { FileHandle } from 'node:fs/promises';
import { InputError } from '../errors.js';
import { openInputAsync } from '../input-file.js';
import { LIMITS, overLimit } from '../limits.js';
import type { ByteSource } from './source.js';

/** Thrown by a PrefetchSource read that was not fetched yet; readWithPrefetch fetches and retries. */
class NeedBytes {
  constructor(
    readonly offset: number,
    readonly length: number,
  ) {}
}

/** A source that answers from ranges fetched asynchronously, and asks for what it lacks. */
class PrefetchSource implements ByteSource {
  private readonly ranges: { offset: number; bytes: Buffer }[] = [];

  constructor(
    readonly name: string,
    readonly size: number,
  ) {}

  add(offset: number, bytes: Buffer): void {
    this.ranges.push({ offset, bytes });
  }

  read(offset: number, length: number, what: string): Buffer {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new InputError(this.name, `truncated: ${what} at 0x${offset.toString(16)}+0x${length.toString(16)} ends past the end of the file (${this.size} bytes)`);
    }
    for (const r of this.ranges) {
      if (offset >= r.offset && offset + length <= r.offset + r.bytes.length) return r.bytes.subarray(offset - r.offset, offset - r.offset + length);
    }
    throw new NeedBytes(offset, length);
  }
}

const WHOLE_FILE = 256 * 1024;
const HEAD = 4096;
const TAIL = 256 * 1024;

async function readRange(fh: FileHandle, path: string, offset: number, length: number): Promise<Buffer> {
  const bytes = Buffer.allocUnsafe(length);
  const { bytesRead } = await fh.read(bytes, 0, length, offset);
  if (bytesRead !== length) throw new InputError(path, 'truncated: the file shrank while it was read');
  return bytes;
}

/**
 * Runs a synchronous reader over a file read asynchronously, fetching exactly the ranges the
 * reader asks for (it is re-run after each fetch; ELF parsing up to a symbol table takes a
 * handful of rounds). Lets many small objects be read concurrently without a second parser.
 */
export async function readWithPrefetch<T>(path: string, parse: (source: ByteSource) => T): Promise<T> {
  const { handle: fh, size } = await openInputAsync(path);
  try {
    const source = new PrefetchSource(path, size);
    // Most objects are small: read them whole. Larger ones: the head, and the tail where
    // GNU as/ld put the section table, .symtab and .strtab. Misses are fetched below.
    const first = size <= WHOLE_FILE ? [[0, size]] : [[0, HEAD], [size - TAIL, TAIL]];
    for (const [offset, length] of first) source.add(offset!, await readRange(fh, path, offset!, length!));
    for (let round = 0; round < LIMITS.PREFETCH_ROUNDS.value; round++) {
      try {
        return parse(source);
      } catch (err) {
        if (!(err instanceof NeedBytes)) throw err;
        source.add(err.offset, await readRange(fh, path, err.offset, err.length));
      }
    }
    throw new InputError(path, overLimit(LIMITS.PREFETCH_ROUNDS, 'reading it asks for too many separate byte ranges'));
  } finally {
    await fh.close();
  }
}
