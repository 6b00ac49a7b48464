import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BufferSource, ElfFile } from '../src/elf/index.js';

/**
 * One fuzz target: a reader driven by one input. `seeds` are made at run time from the
 * fixtures (nothing binary is committed). `async` targets return a promise (the engine then
 * runs them without --sync).
 */
export interface FuzzTarget {
  readonly name: string;
  /** What one input is, in a phrase. */
  readonly input: string;
  readonly async?: boolean;
  seeds(): Map<string, Buffer>;
  /** The name the input is read under: a constant for readers of bytes; for readers of a path, the scratch file now holding the input. */
  file(data: Buffer): string;
  /** Reads the input as the tool does, throwing what the reader throws (fuzz/contract.ts judges it). */
  read(data: Buffer, file: string): void | Promise<unknown>;
}

/** The checkout: the nearest directory up from here that holds fixtures/ (this file runs from fuzz/ or dist/fuzz/). */
export const ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'fixtures', 'generate.sh'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('fuzz: cannot find the checkout (fixtures/generate.sh) above this file');
    dir = up;
  }
  return dir;
})();

export const fixture = (...parts: string[]): string => join(ROOT, 'fixtures', ...parts);

/** Every file of a fixture folder whose name matches, by name. */
export function fixtureFiles(folder: string, pattern: RegExp): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const name of readdirSync(fixture(folder)).sort()) if (pattern.test(name)) out.set(`${folder.replace(/\//g, '-')}-${name}`, readFileSync(fixture(folder, name)));
  return out;
}

let scratch: string | undefined;
/** A path in this process's scratch directory (made on first use). */
export function scratchPath(name: string): string {
  scratch ??= mkdtempSync(join(tmpdir(), 'relinkable-fuzz-'));
  return join(scratch, name);
}

/** A file of the scratch directory holding `data`, for readers that take a path. */
export function scratchFile(name: string, data: Buffer | string): string {
  const path = scratchPath(name);
  writeFileSync(path, data);
  return path;
}

/** The bytes of one section of a fixture ELF file (decompressed as the reader gives them). */
export function fixtureSection(path: string, section: string): Buffer | undefined {
  const elf = new ElfFile(new BufferSource(path, readFileSync(fixture(path))));
  const s = elf.section(section);
  return s ? elf.sectionData(s) : undefined;
}
