import elfy from 'elfy';
import type { ElfyHeader } from 'elfy';
import { InputError, hex } from '../errors.js';
import { LIMITS, overLimit } from '../limits.js';
import {
  ELFCLASS32,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFDATA2MSB,
  SHN_XINDEX,
  SHT_NOBITS,
  SHT_NULL,
  SHT_STRTAB,
  SECTION_TYPE_NAMES,
} from './constants.js';
import type { ByteSource } from './source.js';

/**
 * The ELF header and section table.
 *
 * elfy decodes the identification, the header and each section-table entry correctly for
 * most fields, and we let it. Its known defects are handled here, each with a test in
 * test/elf/elfy-defects.test.ts:
 *  - ELF64 sh_addralign/sh_entsize are read at offsets 46/54 instead of 48/56: re-read.
 *  - 64-bit fields come back as JS numbers: addresses (kernel text is at 0xffffffff8…) are
 *    re-read as bigint; offsets and sizes are checked to be exact (below 2^53).
 *  - no extended section numbering (e_shnum == 0, e_shstrndx == SHN_XINDEX): handled.
 *  - it wants the whole file in one Buffer and slices every section's data: we hand it only
 *    the header, and read section data lazily elsewhere.
 * Section-table entries are decoded here, field by field, for all of these reasons and speed.
 */

export interface ElfHeader {
  readonly is64: boolean;
  readonly littleEndian: boolean;
  readonly type: number;
  readonly machine: number;
  readonly osabi: number;
  readonly entry: bigint;
  readonly flags: number;
  readonly shoff: number;
  readonly shentsize: number;
  /** The real number of sections, after extended numbering. */
  readonly shnum: number;
  /** The real index of the section-name string table, after extended numbering. */
  readonly shstrndx: number;
}

export interface ElfSection {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly addr: bigint;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly addralign: number;
  readonly entsize: number;
}

export function sectionTypeName(type: number): string {
  return SECTION_TYPE_NAMES[type] ?? hex(type);
}

interface RawEntry {
  nameOffset: number;
  type: number;
  flags: number;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
}

function exactNumber(source: ByteSource, value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InputError(source.name, `${what} ${hex(value)} is not a plausible file offset or size`);
  }
  return Number(value);
}

export class SectionTable {
  private constructor(
    readonly header: ElfHeader,
    readonly sections: readonly ElfSection[],
  ) {}

  static read(source: ByteSource): SectionTable {
    if (source.size < 16) {
      throw new InputError(source.name, `not an ELF file (only ${source.size} bytes)`);
    }
    const ident = source.read(0, 16, 'ELF identification');
    if (ident.readUInt32BE(0) !== 0x7f454c46) {
      throw new InputError(source.name, 'not an ELF file (bad magic)');
    }
    const cls = ident[4];
    const data = ident[5];
    if (cls !== ELFCLASS32 && cls !== ELFCLASS64) {
      throw new InputError(source.name, `not a valid ELF file (unknown class ${cls})`);
    }
    if (data !== ELFDATA2LSB && data !== ELFDATA2MSB) {
      throw new InputError(source.name, `not a valid ELF file (unknown byte order ${data})`);
    }
    const is64 = cls === ELFCLASS64;
    const le = data === ELFDATA2LSB;
    const headerSize = is64 ? 64 : 52;
    const headerBytes = source.read(0, headerSize, 'ELF header');

    const parser = new elfy.Parser();
    const eh: ElfyHeader = parser.parseHeader(headerBytes);
    const u16 = (off: number) => (le ? headerBytes.readUInt16LE(off) : headerBytes.readUInt16BE(off));
    const u32 = (off: number) => (le ? headerBytes.readUInt32LE(off) : headerBytes.readUInt32BE(off));
    const u64 = (off: number) => (le ? headerBytes.readBigUInt64LE(off) : headerBytes.readBigUInt64BE(off));

    // elfy maps e_type and e_machine to names; the checks want the numbers.
    const type = u16(16);
    const machine = u16(18);
    const entry = is64 ? u64(24) : BigInt(u32(24));
    const shoff = is64 ? exactNumber(source, u64(40), 'e_shoff') : eh.shoff;
    let shnum = eh.shnum;
    let shstrndx = eh.shstrndx;
    const shentsize = eh.shentsize;

    if (shoff === 0) {
      return new SectionTable(
        { is64, littleEndian: le, type, machine, osabi: ident[7] ?? 0, entry, flags: eh.flags, shoff, shentsize, shnum: 0, shstrndx: 0 },
        [],
      );
    }
    const expectedEntSize = is64 ? 64 : 40;
    if (shentsize !== expectedEntSize) {
      throw new InputError(source.name, `bad section header size ${shentsize} (expected ${expectedEntSize})`);
    }
    if (shoff + expectedEntSize > source.size) {
      throw new InputError(
        source.name,
        `truncated: section table at ${hex(shoff)} lies past the end of the file (${source.size} bytes)`,
      );
    }

    // Each entry is read field by field (elfy's parseSection per entry costs more than the
    // rest of opening an object, and a build directory opens hundreds).
    const decode = (b: Buffer, o: number): RawEntry => {
      const eu32 = (off: number) => (le ? b.readUInt32LE(o + off) : b.readUInt32BE(o + off));
      if (!is64) {
        return {
          nameOffset: eu32(0),
          type: eu32(4),
          flags: eu32(8),
          addr: BigInt(eu32(12)),
          offset: eu32(16),
          size: eu32(20),
          link: eu32(24),
          info: eu32(28),
          addralign: eu32(32),
          entsize: eu32(36),
        };
      }
      // A 64-bit field as a number, when it is one (offsets and sizes below 2^53).
      const eu64n = (off: number, what: string) => {
        const hi = eu32(off + (le ? 4 : 0));
        const lo = eu32(off + (le ? 0 : 4));
        return hi < 0x200000 ? hi * 0x100000000 + lo : exactNumber(source, (BigInt(hi) << 32n) | BigInt(lo), what);
      };
      return {
        nameOffset: eu32(0),
        type: eu32(4),
        flags: eu32(le ? 8 : 12),
        addr: le ? b.readBigUInt64LE(o + 16) : b.readBigUInt64BE(o + 16),
        offset: eu64n(24, 'sh_offset'),
        size: eu64n(32, 'sh_size'),
        link: eu32(40),
        info: eu32(44),
        addralign: eu64n(48, 'sh_addralign'),
        entsize: eu64n(56, 'sh_entsize'),
      };
    };

    const first = decode(source.read(shoff, expectedEntSize, 'section header 0'), 0);
    // Extended numbering: with 0xff00 or more sections the real count and the string-table
    // index live in section 0 (gABI "Extended Section Indexes").
    if (shnum === 0) shnum = first.size;
    if (shstrndx === SHN_XINDEX) shstrndx = first.link;
    if (shnum > LIMITS.SECTION_COUNT.value) {
      throw new InputError(source.name, overLimit(LIMITS.SECTION_COUNT, 'section table too large', shnum));
    }
    const tableBytes = source.read(shoff, shnum * expectedEntSize, `section table (${shnum} entries)`);
    const raw: RawEntry[] = [];
    for (let i = 0; i < shnum; i++) {
      raw.push(decode(tableBytes, i * expectedEntSize));
    }
    for (const [i, s] of raw.entries()) {
      if (s.type !== SHT_NOBITS && s.type !== SHT_NULL && s.offset + s.size > source.size) {
        throw new InputError(
          source.name,
          `truncated: section [${i}] at ${hex(s.offset)}+${hex(s.size)} ends past the end of the file (${source.size} bytes)`,
        );
      }
    }

    let names: Buffer | undefined;
    if (shstrndx !== 0) {
      const strtab = raw[shstrndx];
      if (!strtab) throw new InputError(source.name, `section-name table index ${shstrndx} out of range`);
      names = source.read(strtab.offset, strtab.size, 'section-name string table');
      checkSectionNameTable(source.name, shstrndx, strtab, names);
    }
    const sections = raw.map((s, index): ElfSection => ({
      index,
      name: names ? cString(names, s.nameOffset, source.name, 'section name') : '',
      type: s.type,
      flags: s.flags,
      addr: s.addr,
      offset: s.offset,
      size: s.size,
      link: s.link,
      info: s.info,
      addralign: s.addralign,
      entsize: s.entsize,
    }));
    return new SectionTable(
      { is64, littleEndian: le, type, machine, osabi: ident[7] ?? 0, entry, flags: eh.flags, shoff, shentsize, shnum, shstrndx },
      sections,
    );
  }
}

/**
 * e_shstrndx must name a string table that names itself: SHT_STRTAB, starting with the
 * empty string, and called ".shstrtab" (GNU as, ld) or ".strtab" (LLVM shares one table for
 * symbol and section names). Section names are how every reader finds .BTF, .debug_info or
 * __ksymtab: read from another section they are garbage that finds nothing, and a check that
 * finds nothing to compare must not pass for it.
 */
function checkSectionNameTable(file: string, index: number, table: RawEntry, names: Buffer): void {
  const bad = (why: string) => new InputError(file, `e_shstrndx ${index} does not point at the section-name table: ${why}`);
  if (table.type !== SHT_STRTAB) throw bad(`section [${index}] is of type ${sectionTypeName(table.type)}, not STRTAB`);
  if (names.length === 0 || names[0] !== 0) throw bad(`section [${index}] does not start with the empty string`);
  const own = table.nameOffset < names.length ? names.toString('latin1', table.nameOffset, Math.max(table.nameOffset, names.indexOf(0, table.nameOffset))) : undefined;
  if (own !== '.shstrtab' && own !== '.strtab') throw bad(`section [${index}] does not name itself .shstrtab`);
}

/** A NUL-terminated string from a string table, bounds-checked. */
export function cString(table: Buffer, offset: number, file: string, what: string): string {
  if (offset >= table.length) {
    if (offset === 0 && table.length === 0) return '';
    throw new InputError(file, `${what} offset ${hex(offset)} outside its string table (${table.length} bytes)`);
  }
  const end = table.indexOf(0, offset);
  if (end < 0) throw new InputError(file, `${what} at ${hex(offset)} is not NUL-terminated`);
  return table.toString('latin1', offset, end);
}
