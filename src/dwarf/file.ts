import { InputError } from '../errors.js';
import { SHF_COMPRESSED } from '../elf/constants.js';
import type { ElfFile, ElfSection } from '../elf/index.js';
import { AbbreviationTable } from './abbrev.js';
import { AddressRanges } from './aranges.js';
import { DW_AT, DW_TAG, DW_UT_compile, DW_UT_partial, DW_UT_skeleton } from './constants.js';
import { Unit, type UnitContext } from './die.js';
import { Cursor } from './reader.js';
import { relocateDebugSection } from './relocate.js';
import { MAX_UNIT_HEADER, readUnitHeader, type InfoSection, type UnitHeader } from './unit.js';

export interface CompileUnitSummary {
  readonly header: UnitHeader;
  readonly name: string | undefined;
  readonly compDir: string | undefined;
  readonly producer: string | undefined;
}

const ROOT_DIE_PREFIX = 4096;

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
  private rangeIndex: AddressRanges | undefined | null;
  private readonly units = new Map<string, Unit>();

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

  strSection(): Buffer | undefined {
    return this.sectionBytes('.debug_str');
  }

  lineStrSection(): Buffer | undefined {
    return this.sectionBytes('.debug_line_str');
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
      const bytes = this.sectionBytes('.debug_abbrev');
      if (!bytes) throw new InputError(this.file, 'DWARF units but no .debug_abbrev section');
      if (offset >= bytes.length) throw new InputError(this.file, `.debug_abbrev: offset ${offset} out of range`);
      table = new AbbreviationTable(new Cursor(bytes, 0, this.littleEndian, this.file, '.debug_abbrev'), offset);
      this.abbrevCache.set(offset, table);
    }
    return table;
  }

  infoBytes(header: UnitHeader, limit?: number): Buffer {
    const section = this.elfSection(header.section)!;
    const length = Math.min(header.end - header.offset, limit ?? Infinity);
    if (this.readsInPlace(section) && !this.whole.has(header.section)) {
      return this.elf.source.read(section.offset + header.offset, length, `${header.section} unit at ${header.offset}`);
    }
    return this.sectionBytes(header.section)!.subarray(header.offset, header.offset + length);
  }

  /** Headers of every unit in .debug_info (or .debug_types), read without reading the units. */
  unitHeaders(section: InfoSection = '.debug_info'): readonly UnitHeader[] {
    const cached = this.headerIndex.get(section);
    if (cached) return cached;
    const elfSection = this.elfSection(section);
    const headers: UnitHeader[] = [];
    if (elfSection) {
      const inPlace = this.readsInPlace(elfSection);
      const whole = inPlace ? undefined : this.sectionBytes(section)!;
      const size = whole ? whole.length : elfSection.size;
      let offset = 0;
      while (offset < size) {
        let c: Cursor;
        if (whole) {
          c = new Cursor(whole, offset, this.littleEndian, this.file, section);
        } else {
          const n = Math.min(MAX_UNIT_HEADER, size - offset);
          const bytes = this.elf.source.read(elfSection.offset + offset, n, `${section} unit header`);
          c = new Cursor(bytes, 0, this.littleEndian, this.file, section, offset);
        }
        const header = readUnitHeader(c, section, size);
        headers.push(header);
        if (header.end <= offset) break;
        offset = header.end;
      }
    }
    this.headerIndex.set(section, headers);
    return headers;
  }

  /** The unit containing a section offset (binary search over the index). */
  headerAt(offset: number, section: InfoSection = '.debug_info'): UnitHeader | undefined {
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
      // The root DIE sits right after the header and, with strp/line_strp forms, is small.
      const unit = new Unit(this, header, ROOT_DIE_PREFIX);
      const root = unit.root();
      if (root.abbrev.tag !== DW_TAG.compile_unit && root.abbrev.tag !== DW_TAG.partial_unit && root.abbrev.tag !== DW_TAG.skeleton_unit) continue;
      out.push({
        header,
        name: unit.name(root),
        compDir: unit.string(root, DW_AT.comp_dir),
        producer: unit.string(root, DW_AT.producer),
      });
    }
    this.summaries = out;
    return out;
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
