import { InputError } from '../errors.js';
import {
  ET_DYN,
  ET_REL,
  SHF_COMPRESSED,
  SHN_UNDEF,
  SHT_NOBITS,
  SHT_NOTE,
  SHT_REL,
  SHT_RELA,
  SHT_SYMTAB,
  SHT_SYMTAB_SHNDX,
  machineName,
} from './constants.js';
import { decompressLegacyZdebug, decompressSection } from './compressed.js';
import { buildId, decodeNotes, gnuProperties, type ElfNote, type GnuProperties } from './notes.js';
import { RelocationTable } from './relocations.js';
import { FileSource, type ByteSource } from './source.js';
import { SymbolTable, type ElfSymbol } from './symbols.js';
import { SectionTable, type ElfHeader, type ElfSection } from './table.js';

/**
 * One ELF file, read lazily: opening reads the header and the section table; sections,
 * symbols, relocations and notes are read (and decompressed) on first use and cached.
 */
export class ElfFile {
  readonly header: ElfHeader;
  readonly sections: readonly ElfSection[];
  private readonly data = new Map<number, Buffer>();
  private symbolIndex: SymbolTable | undefined;
  private noteCache: readonly ElfNote[] | undefined;
  private byName: Map<string, ElfSection> | undefined;

  constructor(readonly source: ByteSource) {
    const table = SectionTable.read(source);
    this.header = table.header;
    this.sections = table.sections;
  }

  static open(path: string): ElfFile {
    const source = FileSource.open(path);
    try {
      return new ElfFile(source);
    } catch (err) {
      source.close();
      throw err;
    }
  }

  get name(): string {
    return this.source.name;
  }

  get machine(): string {
    return machineName(this.header.machine);
  }

  get isRelocatable(): boolean {
    return this.header.type === ET_REL;
  }

  /**
   * In a -shared or -pie link (ET_DYN: an arm64 vmlinux), the one local definition of `name`:
   * ld makes hidden and script-defined symbols local, so a global reference was resolved to
   * what the output lists as a local. Of two, neither; in any other file, none.
   */
  localizedDefinition(name: string): ElfSymbol | undefined {
    if (this.header.type !== ET_DYN) return undefined;
    const defined = this.localSymbolsNamed(name).filter((s) => s.shndx !== SHN_UNDEF);
    return defined.length === 1 ? defined[0] : undefined;
  }

  close(): void {
    if (this.source instanceof FileSource) this.source.close();
  }

  /** Gives the file descriptor back; the file stays readable (FileSource.release). */
  releaseDescriptor(): void {
    if (this.source instanceof FileSource) this.source.release();
  }

  /** The first section of that name (looked up by name often: by every DWARF read). */
  section(name: string): ElfSection | undefined {
    if (!this.byName) {
      this.byName = new Map();
      for (const s of this.sections) if (!this.byName.has(s.name)) this.byName.set(s.name, s);
    }
    return this.byName.get(name);
  }

  sectionAt(index: number): ElfSection {
    const s = this.sections[index];
    if (!s) throw new InputError(this.name, `section index ${index} out of range`);
    return s;
  }

  /** The section's contents, decompressed when SHF_COMPRESSED (or a legacy .zdebug_*). NOBITS reads as empty. */
  sectionData(section: ElfSection): Buffer {
    const cached = this.data.get(section.index);
    if (cached) return cached;
    if (section.type === SHT_NOBITS) return Buffer.alloc(0);
    let bytes = this.source.read(section.offset, section.size, `section ${section.name || `[${section.index}]`}`);
    if (section.flags & SHF_COMPRESSED) {
      bytes = decompressSection(this.name, section.name, bytes, this.header.is64, this.header.littleEndian);
    } else if (section.name.startsWith('.zdebug')) {
      bytes = decompressLegacyZdebug(this.name, section.name, bytes);
    }
    this.data.set(section.index, bytes);
    return bytes;
  }

  /** Forget a large section's bytes once a reader is done with them. */
  release(section: ElfSection): void {
    this.data.delete(section.index);
  }

  get symbolTable(): ElfSection | undefined {
    return this.sections.find((s) => s.type === SHT_SYMTAB);
  }

  /** All entries of .symtab, index 0 (the null symbol) included; empty when the file has none. */
  symbols(): readonly ElfSymbol[] {
    return this.symtab()?.all() ?? [];
  }

  /** The global, weak and other non-local entries of .symtab (those after sh_info); empty when the file has none. */
  nonLocalSymbols(): readonly ElfSymbol[] {
    return this.symtab()?.nonLocals() ?? [];
  }

  /** .symtab for lookups by name without decoding every entry; undefined when the file has none. */
  symtab(): SymbolTable | undefined {
    if (this.symbolIndex) return this.symbolIndex;
    const symtab = this.symbolTable;
    if (!symtab) return undefined;
    const strtab = this.sections[symtab.link];
    if (!strtab) throw new InputError(this.name, `symbol table links to missing string table ${symtab.link}`);
    const shndx = this.sections.find((s) => s.type === SHT_SYMTAB_SHNDX && s.link === symtab.index);
    this.symbolIndex = new SymbolTable({
      file: this.name,
      is64: this.header.is64,
      littleEndian: this.header.littleEndian,
      entries: this.sectionData(symtab),
      strings: this.sectionData(strtab),
      extendedIndexes: shndx ? this.sectionData(shndx) : undefined,
      sectionCount: this.sections.length,
      firstNonLocal: symtab.info,
    });
    return this.symbolIndex;
  }

  /** The global and weak entries named `name`. */
  symbolsNamed(name: string): ElfSymbol[] {
    const table = this.symtab();
    return table ? table.lookup(name).map((i) => table.at(i)) : [];
  }

  /** The local entries named `name`. */
  localSymbolsNamed(name: string): ElfSymbol[] {
    const table = this.symtab();
    return table ? table.locals(name).map((i) => table.at(i)) : [];
  }

  relocationSections(): ElfSection[] {
    return this.sections.filter((s) => s.type === SHT_RELA || s.type === SHT_REL);
  }

  relocations(section: ElfSection): RelocationTable {
    if (section.type !== SHT_RELA && section.type !== SHT_REL) {
      throw new Error(`${this.name}: ${section.name} is not a relocation section`);
    }
    return new RelocationTable(
      this.name,
      section.info,
      this.sectionData(section),
      this.header.is64,
      this.header.littleEndian,
      section.type === SHT_RELA,
    );
  }

  /** The relocation sections that apply to `target` (sh_info == target index). */
  relocationsFor(target: ElfSection): RelocationTable[] {
    return this.relocationSections()
      .filter((s) => s.info === target.index)
      .map((s) => this.relocations(s));
  }

  notes(): readonly ElfNote[] {
    if (this.noteCache) return this.noteCache;
    this.noteCache = this.sections
      .filter((s) => s.type === SHT_NOTE)
      .flatMap((s) => decodeNotes(this.name, s.name, this.sectionData(s), s.addralign, this.header.littleEndian));
    return this.noteCache;
  }

  buildId(): string | undefined {
    return buildId(this.notes());
  }

  gnuProperties(): GnuProperties | undefined {
    return gnuProperties(this.notes(), this.header.is64, this.header.littleEndian);
  }
}
