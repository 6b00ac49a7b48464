import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Btf, readBtf } from '../../src/btf/index.js';
import { ElfFile } from '../../src/elf/index.js';
import { builtTree } from '../support/corpus.js';

/** A file of the corpus that must exist (a missing corpus fails, never skips). */
export function need(path: string): string {
  if (!existsSync(path)) throw new Error(`${path} is missing: run npm run corpus (scripts/corpus/prepare.sh) first`);
  return path;
}

export function treeFile(version: string, rel: string): string {
  return need(join(builtTree(version), rel));
}

/** The .BTF of an ELF file, split on `base` when given; fails when the file has none. */
export function loadBtf(path: string, base?: Btf): Btf {
  const elf = ElfFile.open(path);
  try {
    const btf = readBtf(elf, base);
    if (!btf) throw new Error(`${path} has no .BTF section`);
    return btf;
  } finally {
    elf.close();
  }
}

/** The raw .BTF section bytes of an ELF file. */
export function btfBytes(path: string): Buffer {
  const elf = ElfFile.open(path);
  try {
    const s = elf.section('.BTF');
    if (!s) throw new Error(`${path} has no .BTF section`);
    return elf.sectionData(s);
  } finally {
    elf.close();
  }
}
