import { InputError, hex } from '../errors.js';
import { SHF_COMPRESSED } from '../elf/constants.js';
import type { ElfFile, ElfSection } from '../elf/index.js';
import { AbbreviationTable } from './abbrev.js';
import { AddressRanges } from './aranges.js';
import { DW_AT, DW_FORM, DW_TAG, DW_UT_compile, DW_UT_partial, DW_UT_skeleton } from './constants.js';
import { Unit, type StringSection, type UnitContext } from './die.js';
import { Cursor, stringAt } from './reader.js';
import { relocateDebugSection } from './relocate.js';
import { MAX_UNIT_HEADER, readUnitHeader, type InfoSection, type UnitHeader } from './unit.js';

export interface CompileUnitSummary {
  readonly header: UnitHeader;
  readonly name: string | undefined;
  readonly compDir: string | undefined;
  readonly producer: string | undefined;
}

/** How much of a string section is read at a time to find one string's end. */
const STRING_CHUNK = 256;
/** How much of .debug_abbrev is read for one table: Debian's 6.1 and 6.12 vmlinux tables are 2.5 KB (median) to 5.6 KB. */
const ABBREV_WINDOW = 16 * 1024;

/** The root DIE sits right after the unit header and, with strp/line_strp forms, is small. */
const ROOT_DIE_PREFIX = 4096;
/** How far into the root DIE a string offset for DW_AT_name is looked for. */
const ROOT_DIE_SCAN = 96;

/**
 * Offsets in a string section at which a string naming `fileName` starts: the whole string
 * ("crypto/x.c"), or any tail of it that begins a path component (a merged section may
 * point into the middle of "/build/crypto/x.c").
 */
function pathSuffixOffsets(bytes: Buffer, fileName: string): number[] {
  const needle = Buffer.from(`${fileName}\0`, 'utf8');
  const out: number[] = [];
  for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) {
    if (at > 0 && bytes[at - 1] !== 0x2f && bytes[at - 1] !== 0) continue;
    // (lastIndexOf with a negative offset would count from the end)
    const start = at === 0 ? 0 : bytes.lastIndexOf(0, at - 1) + 1;
    for (let q = at; q >= start; q--) if (q === start || bytes[q - 1] === 0x2f) out.push(q);
  }
  return out;
}

/**
 * The DWARF of one ELF file, read lazily. Opening costs nothing; the unit index reads only
 * unit headers; a unit's bytes are read when the unit is asked for. In a linked vmlinux
 * (uncompressed, no relocations to apply) units are read straight from the file, so a
 * question about 20 functions reads 20 units, not 220 MB.
 */
export class DwarfFile implements UnitContext {
  private readonly whole = new Map<string, Buffer | undefined>();
  private readonly abbrevCache = new Map<number, AbbreviationTable>();
  private headerIndex: Map<InfoSection, UnitHeader[]> = new Map();
  private summaries: CompileUnitSummary[] | undefined;
  private readonly unitSummaries = new Map<number, CompileUnitSummary | undefined>();
  /** Bytes read so far from each section piece by piece (see mayReadInPlace). */
  private readonly readInPlace = new Map<string, number>();
  private rangeIndex: AddressRanges | undefined | null;
  private readonly units = new Map<string, Unit>();
  private readonly nameOffsets = new Map<string, number[]>();
  /** Headers read one at a time (unitHeaderAt), before or without the index. */
  private readonly looseHeaders: UnitHeader[] = [];
  /** The first bytes of each unit, read with its header. */
  private readonly prefixes = new Map<UnitHeader, Buffer>();

  constructor(readonly elf: ElfFile) {}

  static present(elf: ElfFile): boolean {
    return !!(elf.section('.debug_info') ?? elf.section('.zdebug_info'));
  }

  get file(): string {
    return this.elf.name;
  }

  get littleEndian(): boolean {
    return this.elf.header.littleEndian;
  }

  private elfSection(name: string): ElfSection | undefined {
    return this.elf.section(name) ?? (name.startsWith('.debug_') ? this.elf.section(`.zdebug_${name.slice(7)}`) : undefined);
  }

  /** Whether a section's units can be read from the file piecewise (no decompression, no relocation). */
  private readsInPlace(section: ElfSection): boolean {
    return !this.elf.isRelocatable && !(section.flags & SHF_COMPRESSED) && !section.name.startsWith('.zdebug');
  }

  /**
   * Whether a piece of a section may still be read from the file where it is: a question
   * about a few units reads a few strings and tables, a pass over every unit would read each
   * section many times over in small pieces. Once the pieces add up to a quarter of the
   * section, it is read whole.
   */
  private mayReadInPlace(section: ElfSection, length: number): boolean {
    const sofar = (this.readInPlace.get(section.name) ?? 0) + length;
    this.readInPlace.set(section.name, sofar);
    return sofar <= section.size / 4;
  }

  /** A whole debug section, decompressed and (in relocatable files) relocated. */
  sectionBytes(name: string): Buffer | undefined {
    if (this.whole.has(name)) return this.whole.get(name);
    const section = this.elfSection(name);
    let bytes: Buffer | undefined;
    if (section) {
      bytes = this.elf.sectionData(section);
      if (this.elf.isRelocatable) bytes = relocateDebugSection(this.elf, section, bytes);
    }
    this.whole.set(name, bytes);
    return bytes;
  }

  /**
   * The string at `offset` of .debug_str or .debug_line_str; undefined when the file has no
   * such section. In a linked file whose section has not been read whole, the string is read
   * from the file where it is: a vmlinux's compile-unit names and producers are a few strings
   * of a 5 MB section.
   */
  stringAt(name: StringSection, offset: number): string | undefined {
    const whole = this.whole.get(name);
    if (whole) return stringAt(whole, offset, this.file, name);
    const section = this.elfSection(name);
    if (!section) return undefined;
    if (!this.readsInPlace(section) || !this.mayReadInPlace(section, STRING_CHUNK)) return stringAt(this.sectionBytes(name)!, offset, this.file, name);
    if (offset >= section.size) throw new InputError(this.file, `${name}: string offset ${hex(offset)} out of range (${section.size} bytes)`);
    const chunks: Buffer[] = [];
    for (let at = offset; at < section.size; ) {
      const chunk = this.elf.source.read(section.offset + at, Math.min(STRING_CHUNK, section.size - at), `${name} string at ${hex(offset)}`);
      const nul = chunk.indexOf(0);
      if (nul >= 0) {
        chunks.push(chunk.subarray(0, nul));
        return Buffer.concat(chunks).toString('utf8');
      }
      chunks.push(chunk);
      at += chunk.length;
    }
    throw new InputError(this.file, `${name}+${hex(offset)}: unterminated string`);
  }

  strOffsetsSection(): Buffer | undefined {
    return this.sectionBytes('.debug_str_offsets');
  }

  addrSection(): Buffer | undefined {
    return this.sectionBytes('.debug_addr');
  }

  abbreviations(offset: number): AbbreviationTable {
    let table = this.abbrevCache.get(offset);
    if (!table) {
      table = this.abbreviationsInPlace(offset);
      if (!table) {
        const bytes = this.sectionBytes('.debug_abbrev');
        if (!bytes) throw new InputError(this.file, 'DWARF units but no .debug_abbrev section');
        if (offset >= bytes.length) throw new InputError(this.file, `.debug_abbrev: offset ${offset} out of range`);
        table = new AbbreviationTable(new Cursor(bytes, 0, this.littleEndian, this.file, '.debug_abbrev'), offset);
      }
      this.abbrevCache.set(offset, table);
    }
    return table;
  }

  /**
   * One table read from the file where it is, in a linked file whose .debug_abbrev has not
   * been read whole (a vmlinux has ~2,600 tables of a few KB in 6 MB). Undefined when the
   * table does not end inside the window read: then the whole section is the source, and
   * says what is wrong with the table if anything is.
   */
  private abbreviationsInPlace(offset: number): AbbreviationTable | undefined {
    if (this.whole.has('.debug_abbrev')) return undefined;
    const section = this.elfSection('.debug_abbrev');
    if (!section || !this.readsInPlace(section) || offset >= section.size) return undefined;
    const length = Math.min(ABBREV_WINDOW, section.size - offset);
    if (!this.mayReadInPlace(section, length)) return undefined;
    const window = this.elf.source.read(section.offset + offset, length, `.debug_abbrev table at ${hex(offset)}`);
    const table = new AbbreviationTable(new Cursor(window, 0, this.littleEndian, this.file, '.debug_abbrev', offset), 0);
    return table.endsWithin() ? table : undefined;
  }

  infoBytes(header: UnitHeader, limit?: number): Buffer {
    const length = Math.min(header.end - header.offset, limit ?? Infinity);
    const prefix = this.prefixes.get(header);
    if (prefix && length <= prefix.length) return prefix.subarray(0, length);
    const section = this.elfSection(header.section)!;
    if (this.readsInPlace(section) && !this.whole.has(header.section)) {
      return this.elf.source.read(section.offset + header.offset, length, `${header.section} unit at ${header.offset}`);
    }
    return this.sectionBytes(header.section)!.subarray(header.offset, header.offset + length);
  }

  /**
   * The header of the .debug_info unit starting at `offset` (an offset .debug_aranges gives,
   * or a unit's end), read on its own when the units have not been indexed.
   */
  unitHeaderAt(offset: number): UnitHeader | undefined {
    const indexed = this.headerIndex.get('.debug_info');
    if (indexed) {
      const h = this.headerAt(offset);
      return h?.offset === offset ? h : undefined;
    }
    const section = this.elfSection('.debug_info');
    if (!section || !this.readsInPlace(section) || this.whole.has('.debug_info')) {
      const h = this.headerAt(offset);
      return h?.offset === offset ? h : undefined;
    }
    if (offset < 0 || offset >= section.size) return undefined;
    const loose = this.looseHeaders.find((h) => h.offset === offset);
    if (loose) return loose;
    const bytes = this.elf.source.read(section.offset + offset, Math.min(MAX_UNIT_HEADER, section.size - offset), '.debug_info unit header');
    const header = readUnitHeader(new Cursor(bytes, 0, this.littleEndian, this.file, '.debug_info', offset), '.debug_info', section.size);
    this.looseHeaders.push(header);
    return header;
  }

  /**
   * The .debug_info units that start in [start, end), `start` being where a unit starts, with
   * their bytes: in a linked file read in place, one read of the whole range, the headers
   * decoded from it (nothing is cached: a search of many units for one byte string).
   */
  unitsBetween(start: number, end: number): { header: UnitHeader; bytes: Buffer }[] {
    const section = this.elfSection('.debug_info');
    if (!section || start >= end) return [];
    const size = this.readsInPlace(section) && !this.whole.has('.debug_info') ? section.size : this.sectionBytes('.debug_info')!.length;
    end = Math.min(end, size);
    if (start < 0 || start >= end) return [];
    const range = this.readsInPlace(section) && !this.whole.has('.debug_info')
      ? this.elf.source.read(section.offset + start, end - start, `.debug_info units at ${start}`)
      : this.sectionBytes('.debug_info')!.subarray(start, end);
    const out: { header: UnitHeader; bytes: Buffer }[] = [];
    for (let at = start; at < end; ) {
      const header =
        end - at >= MAX_UNIT_HEADER
          ? readUnitHeader(new Cursor(range, at - start, this.littleEndian, this.file, '.debug_info', start), '.debug_info', size)
          : this.unitHeaderAt(at);
      if (!header) break;
      out.push({ header, bytes: header.end <= end ? range.subarray(at - start, header.end - start) : this.infoBytes(header) });
      if (header.end <= at) break;
      at = header.end;
    }
    return out;
  }

  /** Headers of every unit in .debug_info (or .debug_types), read without reading the units. */
  unitHeaders(section: InfoSection = '.debug_info'): readonly UnitHeader[] {
    const cached = this.headerIndex.get(section);
    if (cached) return cached;
    const headers = [...this.walkUnitHeaders(section)];
    this.headerIndex.set(section, headers);
    return headers;
  }

  /** The first units' headers, in order, without indexing the rest of the section. */
  *leadingUnitHeaders(section: InfoSection = '.debug_info'): Generator<UnitHeader> {
    const cached = this.headerIndex.get(section);
    if (cached) yield* cached;
    else yield* this.walkUnitHeaders(section);
  }

  private *walkUnitHeaders(section: InfoSection): Generator<UnitHeader> {
    const elfSection = this.elfSection(section);
    if (!elfSection) return;
    const inPlace = this.readsInPlace(elfSection);
    const whole = inPlace ? undefined : this.sectionBytes(section)!;
    const size = whole ? whole.length : elfSection.size;
    let offset = 0;
    while (offset < size) {
      let c: Cursor;
      let prefix: Buffer | undefined;
      if (whole) {
        c = new Cursor(whole, offset, this.littleEndian, this.file, section);
      } else {
        // One read per unit gives the header and the start of the root DIE (see compileUnitsNamedLike).
        const n = Math.min(MAX_UNIT_HEADER + ROOT_DIE_SCAN, size - offset);
        const bytes = this.elf.source.read(elfSection.offset + offset, n, `${section} unit header`);
        c = new Cursor(bytes, 0, this.littleEndian, this.file, section, offset);
        prefix = bytes;
      }
      const header = readUnitHeader(c, section, size);
      // An address of another size than the file's: the header is misread, or the unit is not this file's.
      const pointer = this.elf.header.is64 ? 8 : 4;
      if (header.addressSize !== pointer) {
        throw new InputError(this.file, `${section}+${hex(header.offset)}: unit at ${hex(header.offset)}: address size ${header.addressSize}, but the file is ${pointer * 8}-bit ELF (${pointer})`);
      }
      if (prefix) this.prefixes.set(header, prefix);
      yield header;
      if (header.end <= offset) return;
      offset = header.end;
    }
  }

  /** Name, directory and producer of a unit's root DIE (compile, partial and skeleton units). */
  summary(header: UnitHeader): CompileUnitSummary | undefined {
    return this.summarise(header)?.summary;
  }

  /**
   * The unit containing a section offset: one already read (decoded, or whose header was
   * read alone), else a binary search over the index of every unit (built on first need: a
   * header read per unit).
   */
  headerAt(offset: number, section: InfoSection = '.debug_info'): UnitHeader | undefined {
    if (!this.headerIndex.has(section)) {
      for (const unit of this.units.values()) {
        const h = unit.header;
        if (h.section === section && offset >= h.offset && offset < h.end) return h;
      }
      for (const h of this.looseHeaders) if (h.section === section && offset >= h.offset && offset < h.end) return h;
    }
    const headers = this.unitHeaders(section);
    let lo = 0;
    let hi = headers.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const h = headers[mid]!;
      if (offset < h.offset) hi = mid - 1;
      else if (offset >= h.end) lo = mid + 1;
      else return h;
    }
    return undefined;
  }

  unit(header: UnitHeader): Unit {
    const key = `${header.section}:${header.offset}`;
    let unit = this.units.get(key);
    if (!unit) {
      unit = new Unit(this, header);
      this.units.set(key, unit);
    }
    return unit;
  }

  /** The units decoded so far (and not forgotten), in the order they were first read. */
  decodedUnits(): Unit[] {
    return [...this.units.values()];
  }

  /** Drops cached units (and their bytes) after a pass over many units. */
  forgetUnits(): void {
    this.units.clear();
  }

  /** Name, directory and producer of every compile unit (reads each unit's root DIE only). */
  compileUnits(): readonly CompileUnitSummary[] {
    if (this.summaries) return this.summaries;
    const out: CompileUnitSummary[] = [];
    for (const header of this.unitHeaders()) {
      if (header.unitType !== DW_UT_compile && header.unitType !== DW_UT_partial && header.unitType !== DW_UT_skeleton) continue;
      const s = this.summarise(header);
      if (s) out.push(s.summary);
    }
    this.summaries = out;
    return out;
  }

  /**
   * Compile units whose DW_AT_name is `fileName` or ends in `/fileName`, without decoding
   * every unit's root DIE: GCC names units through .debug_str/.debug_line_str offsets, so
   * only units whose first bytes hold the offset of a matching string (or the name inline)
   * are decoded. Producers that index strings (DW_FORM_strx*, clang) get the full pass.
   */
  compileUnitsNamedLike(fileName: string): CompileUnitSummary[] {
    const matches = (name: string | undefined) => name !== undefined && (name === fileName || name.endsWith(`/${fileName}`));
    if (this.summaries) return this.summaries.filter((u) => matches(u.name));
    const headers = this.unitHeaders().filter((h) => h.unitType === DW_UT_compile || h.unitType === DW_UT_partial || h.unitType === DW_UT_skeleton);
    if (headers.length === 0) return [];
    const first = this.summarise(headers[0]!);
    if (!first || first.indexedName) return this.compileUnits().filter((u) => matches(u.name));

    const offsets = new Set<number>();
    for (const section of ['.debug_str', '.debug_line_str']) {
      const bytes = this.sectionBytes(section);
      if (bytes) for (const o of pathSuffixOffsets(bytes, fileName)) offsets.add(o);
    }
    // The byte patterns a matching root DIE contains: the name inline, or a string offset.
    const patterns: Buffer[] = [Buffer.from(`${fileName}\0`, 'utf8')];
    for (const o of offsets) patterns.push(this.offsetBytes(o, headers[0]!.offsetSize));
    const out: CompileUnitSummary[] = [];
    for (const header of headers) {
      const start = header.firstDieOffset - header.offset;
      const prefix = this.infoBytes(header, start + ROOT_DIE_SCAN);
      const candidate = patterns.some((p) => prefix.indexOf(p, start) >= 0);
      if (!candidate) continue;
      const summary = this.summarise(header);
      if (summary && matches(summary.summary.name)) out.push(summary.summary);
    }
    return out;
  }

  private summarise(header: UnitHeader): { summary: CompileUnitSummary; indexedName: boolean } | undefined {
    const unit = new Unit(this, header, ROOT_DIE_PREFIX);
    const root = unit.root();
    if (root.abbrev.tag !== DW_TAG.compile_unit && root.abbrev.tag !== DW_TAG.partial_unit && root.abbrev.tag !== DW_TAG.skeleton_unit) return undefined;
    const nameForm = root.abbrev.attributes.find((a) => a.at === DW_AT.name)?.form;
    return {
      summary: { header, name: unit.name(root), compDir: unit.string(root, DW_AT.comp_dir), producer: unit.string(root, DW_AT.producer) },
      indexedName: nameForm !== undefined && nameForm !== DW_FORM.strp && nameForm !== DW_FORM.line_strp && nameForm !== DW_FORM.string,
    };
  }

  /** A section offset as a unit holds it (DW_FORM_strp, sec_offset): 4 or 8 bytes in the file's byte order. */
  offsetBytes(offset: number, size: 4 | 8 = 4): Buffer {
    const b = Buffer.alloc(size);
    if (size === 4) {
      if (this.littleEndian) b.writeUInt32LE(offset);
      else b.writeUInt32BE(offset);
    } else if (this.littleEndian) b.writeBigUInt64LE(BigInt(offset));
    else b.writeBigUInt64BE(BigInt(offset));
    return b;
  }

  /** Every .debug_str offset at which `name` (NUL-terminated) starts, tail-merged strings included (remembered: several questions ask for one name). */
  stringOffsets(name: string): number[] {
    let out = this.nameOffsets.get(name);
    if (out) return out;
    out = [];
    const str = this.sectionBytes('.debug_str');
    const needle = Buffer.from(`${name}\0`, 'utf8');
    if (str) for (let at = str.indexOf(needle); at >= 0; at = str.indexOf(needle, at + 1)) out.push(at);
    this.nameOffsets.set(name, out);
    return out;
  }

  /**
   * Units whose bytes mention a name, with those bytes: its .debug_str offset (any place the
   * string ends there, so tail-merged strings count; `stringOffsets(name)` when the caller
   * has them) or the name inline. A cheap superset of the units with a DIE of that name,
   * read unit by unit without decoding; callers decode only these.
   */
  *unitsMentioning(name: string, offsets: readonly number[] = this.stringOffsets(name)): Generator<{ header: UnitHeader; bytes: Buffer }> {
    const patterns: Buffer[] = [Buffer.from(`${name}\0`, 'utf8'), ...offsets.map((at) => this.offsetBytes(at))];
    for (const header of this.unitHeaders()) {
      const bytes = this.infoBytes(header);
      if (patterns.some((p) => bytes.indexOf(p, header.firstDieOffset - header.offset) >= 0)) yield { header, bytes };
    }
  }

  /** The summary of the compile unit that starts at `offset` (its root DIE only; remembered: evidence asks for it per type). */
  compileUnitAt(offset: number): CompileUnitSummary | undefined {
    if (!this.unitSummaries.has(offset)) {
      const header = this.headerAt(offset);
      this.unitSummaries.set(offset, header && header.offset === offset ? this.summarise(header)?.summary : undefined);
    }
    return this.unitSummaries.get(offset);
  }

  /** Address → unit lookup from .debug_aranges; undefined when the file has none. */
  addressRanges(): AddressRanges | undefined {
    if (this.rangeIndex === undefined) {
      const bytes = this.sectionBytes('.debug_aranges');
      this.rangeIndex = bytes ? AddressRanges.parse(bytes, this.littleEndian, this.file) : null;
    }
    return this.rangeIndex ?? undefined;
  }
}
