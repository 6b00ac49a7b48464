import { createHash } from 'node:crypto';
import { closeSync } from 'node:fs';
import { InputError, hex } from '../errors.js';
import { openInput, readFully, reopenInput, type FileIdentity } from '../input-file.js';

/**
 * Random access to the bytes of one input. Readers ask for exactly the ranges a question
 * needs, so a 630 MB vmlinux costs its header, its section table and the few sections a
 * check touches. Every read is bounds-checked against the size and fails as an InputError
 * naming the file, what was being read and where.
 */
export interface ByteSource {
  /** The path as the user gave it (used in messages). */
  readonly name: string;
  readonly size: number;
  read(offset: number, length: number, what: string): Buffer;
}

function checkRange(source: ByteSource, offset: number, length: number, what: string): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new InputError(source.name, `${what}: impossible range (offset ${offset}, length ${length})`);
  }
  if (offset + length > source.size) {
    throw new InputError(
      source.name,
      `truncated: ${what} at ${hex(offset)}+${hex(length)} ends past the end of the file (${source.size} bytes)`,
    );
  }
}

export class FileSource implements ByteSource {
  /** Total bytes handed out by read(); tests use it to prove that reading stays lazy. */
  bytesRead = 0;
  /** Set by release(): each later read opens the file, reads and closes it again. */
  private transient = false;
  private closed = false;

  private constructor(
    readonly name: string,
    private fd: number | undefined,
    readonly size: number,
    private readonly identity: FileIdentity,
  ) {}

  /** Opens a regular file (input-file.ts: type and symlink checks, no blocking on a FIFO). */
  static open(path: string): FileSource {
    const opened = openInput(path);
    return new FileSource(path, opened.fd, opened.size, opened.identity);
  }

  read(offset: number, length: number, what: string): Buffer {
    checkRange(this, offset, length, what);
    if (this.closed) throw new Error(`${this.name}: read after close`);
    const fd = this.fd ?? (this.fd = reopenInput(this.name, this.identity));
    try {
      const buf = Buffer.allocUnsafe(length);
      readFully(this.name, fd, buf, 0, length, offset, what);
      this.bytesRead += length;
      return buf;
    } finally {
      if (this.transient) this.closeDescriptor();
    }
  }

  /**
   * Gives the file descriptor back now, and keeps the source readable: a later read opens
   * the file again (it must be the same file, unchanged), reads and closes it. For sources
   * that outlive the reading of their facts (a frozen object's conventions are read when a
   * detector asks), so that checking many objects in one process holds no descriptor each.
   */
  release(): void {
    this.transient = true;
    this.closeDescriptor();
  }

  close(): void {
    this.closeDescriptor();
    this.closed = true;
  }

  private closeDescriptor(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

export class BufferSource implements ByteSource {
  constructor(
    readonly name: string,
    private readonly bytes: Buffer,
  ) {}

  get size(): number {
    return this.bytes.length;
  }

  read(offset: number, length: number, what: string): Buffer {
    checkRange(this, offset, length, what);
    return this.bytes.subarray(offset, offset + length);
  }
}

/** A window into another source: an archive member. */
export class SliceSource implements ByteSource {
  constructor(
    readonly name: string,
    private readonly parent: ByteSource,
    private readonly start: number,
    readonly size: number,
  ) {
    checkRange(parent, start, size, `member ${name}`);
  }

  read(offset: number, length: number, what: string): Buffer {
    checkRange(this, offset, length, what);
    return this.parent.read(this.start + offset, length, what);
  }
}

/** How much of a file one step of a streaming digest reads. */
export const DIGEST_CHUNK = 1024 * 1024;

/**
 * The SHA-256 of a source's bytes, read DIGEST_CHUNK at a time: a frozen object of any size
 * is hashed in constant memory (a 5 GiB file would not fit one Buffer).
 */
export function sha256Of(source: ByteSource): string {
  const hash = createHash('sha256');
  for (let offset = 0; offset < source.size; offset += DIGEST_CHUNK) {
    hash.update(source.read(offset, Math.min(DIGEST_CHUNK, source.size - offset), 'file contents for its digest'));
  }
  return hash.digest('hex');
}
