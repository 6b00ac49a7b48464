import { createHash } from 'node:crypto';
import { InputError, hex } from '../../errors.js';
import type { ElfFile } from '../../elf/index.js';

/**
 * ORC unwind tables: `.orc_unwind` (6-byte `struct orc_entry`) paired one to one with
 * `.orc_unwind_ip` (4-byte PC-relative addresses, one relocation each in an object), and
 * since v6.4 (b9f174c811e3) `.orc_header`: a 20-byte SHA-1 of the ORC definitions in
 * `arch/x86/include/asm/orc_types.h` (scripts/orc_hash.sh), in vmlinux and in each module.
 * Two different hashes mean two different `struct orc_entry` layouts or type numberings.
 */

export const ORC_ENTRY_SIZE = 6;
export const ORC_IP_SIZE = 4;
export const ORC_HEADER_SIZE = 20;

export interface OrcHeader {
  readonly file: string;
  readonly section: '.orc_header';
  /** Offset of the hash in the section (always 0), and of the section in the file. */
  readonly offset: number;
  readonly fileOffset: number;
  readonly size: number;
  /** The bytes as lowercase hex (40 digits for the 20-byte hash). */
  readonly hash: string;
}

/** `.orc_header` of a module or vmlinux; undefined when there is none (before v6.4). */
export function readOrcHeader(elf: ElfFile): OrcHeader | undefined {
  const sec = elf.section('.orc_header');
  if (!sec) return undefined;
  const bytes = elf.sectionData(sec);
  if (bytes.length !== ORC_HEADER_SIZE) {
    throw new InputError(elf.name, `.orc_header is ${bytes.length} bytes, not the ${ORC_HEADER_SIZE}-byte ORC hash`);
  }
  return { file: elf.name, section: '.orc_header', offset: 0, fileOffset: sec.offset, size: bytes.length, hash: bytes.toString('hex') };
}

export type OrcHeaderComparison = 'equal' | 'different' | 'object-only' | 'kernel-only' | 'neither';

export interface OrcHeaders {
  readonly object: OrcHeader | undefined;
  readonly kernel: OrcHeader | undefined;
  readonly comparison: OrcHeaderComparison;
}

/** Compare an object's `.orc_header` with a kernel's (vmlinux). */
export function compareOrcHeaders(object: ElfFile, kernel: ElfFile): OrcHeaders {
  const o = readOrcHeader(object);
  const k = readOrcHeader(kernel);
  const comparison: OrcHeaderComparison = o && k ? (o.hash === k.hash ? 'equal' : 'different') : o ? 'object-only' : k ? 'kernel-only' : 'neither';
  return { object: o, kernel: k, comparison };
}

/**
 * The hash scripts/orc_hash.sh computes from orc_types.h: SHA-1 over the `#define ORC_REG_*`
 * and `ORC_TYPE_*` lines and the `struct orc_entry { … }` block, each line with its newline.
 */
export function orcHashOfSource(orcTypesH: string): string {
  const lines = orcTypesH.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  let printed = '';
  let inStruct = false;
  for (const line of lines) {
    if (/^#define ORC_(REG|TYPE)_/.test(line)) printed += `${line}\n`;
    if (line === 'struct orc_entry {') inStruct = true;
    if (inStruct) printed += `${line}\n`;
    if (line.startsWith('}')) inStruct = false;
  }
  return createHash('sha1').update(printed, 'latin1').digest('hex');
}

export interface OrcTables {
  readonly file: string;
  /** `.orc_unwind` size and entries (size / 6). */
  readonly unwindSize: number;
  readonly unwindEntries: number;
  /** `.orc_unwind_ip` size and entries (size / 4). */
  readonly ipSize: number;
  readonly ipEntries: number;
  /** Relocations applying to `.orc_unwind_ip` (objects only; undefined for linked files). */
  readonly ipRelocations: number | undefined;
  /** One orc_entry per ip, and in an object one relocation per ip. */
  readonly consistent: boolean;
  readonly problem: string | undefined;
}

/**
 * Sizes and counts of the ORC tables (section headers and relocation counts only; no
 * entry is read). Undefined when the file has neither section. A size that does not divide
 * by its entry size is malformed input.
 */
export function orcTables(elf: ElfFile): OrcTables | undefined {
  const unwind = elf.section('.orc_unwind');
  const ip = elf.section('.orc_unwind_ip');
  if (!unwind && !ip) return undefined;
  if (!unwind || !ip) {
    return {
      file: elf.name,
      unwindSize: unwind?.size ?? 0,
      unwindEntries: 0,
      ipSize: ip?.size ?? 0,
      ipEntries: 0,
      ipRelocations: undefined,
      consistent: false,
      problem: `${unwind ? '.orc_unwind_ip' : '.orc_unwind'} is missing`,
    };
  }
  if (unwind.size % ORC_ENTRY_SIZE !== 0) throw new InputError(elf.name, `.orc_unwind: size ${hex(unwind.size)} is not a multiple of the ${ORC_ENTRY_SIZE}-byte orc_entry`);
  if (ip.size % ORC_IP_SIZE !== 0) throw new InputError(elf.name, `.orc_unwind_ip: size ${hex(ip.size)} is not a multiple of ${ORC_IP_SIZE} bytes`);
  const unwindEntries = unwind.size / ORC_ENTRY_SIZE;
  const ipEntries = ip.size / ORC_IP_SIZE;
  const ipRelocations = elf.isRelocatable ? elf.relocationsFor(ip).reduce((n, t) => n + t.count, 0) : undefined;
  const problems: string[] = [];
  if (unwindEntries !== ipEntries) problems.push(`${unwindEntries} orc_entry for ${ipEntries} instruction addresses`);
  if (ipRelocations !== undefined && ipRelocations !== ipEntries) problems.push(`${ipRelocations} relocations for ${ipEntries} instruction addresses`);
  return {
    file: elf.name,
    unwindSize: unwind.size,
    unwindEntries,
    ipSize: ip.size,
    ipEntries,
    ipRelocations,
    consistent: problems.length === 0,
    problem: problems.length ? problems.join('; ') : undefined,
  };
}
