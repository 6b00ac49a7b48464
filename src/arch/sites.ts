import { InputError, hex } from '../errors.js';
import { relocationTypeName, relocationWidth, type ElfFile, type ElfSection, type ElfSymbol } from '../elf/index.js';
import { SHN_LORESERVE, SHN_UNDEF } from '../elf/constants.js';
import { SymbolMap } from '../elf/symbol-map.js';

/**
 * The fields of a special section of a relocatable object (`.altinstructions`,
 * `__ex_table`, …) and where their relocations make them point: the kernel reads
 * `&field + field` for the PC-relative ones, which after linking is S + A of the relocation.
 */

/** A place in a section of the object, and the function it lies in. */
export interface Site {
  readonly section: string;
  readonly sectionIndex: number;
  readonly offset: number;
  /** The STT_FUNC symbol whose [value, value+size) holds the offset. */
  readonly function: string | undefined;
  readonly functionOffset: number | undefined;
}

/** The relocation that fills one field, as readelf -r prints it. */
export interface FieldRelocation {
  /** r_offset: the field's offset in the special section. */
  readonly offset: number;
  readonly type: string;
  /** The symbol's name, or its section's name for an STT_SECTION symbol (as readelf prints it). */
  readonly symbol: string;
  readonly symbolIndex: number;
  readonly addend: bigint;
}

/** Where a field points: a place in one of the object's sections, or an external symbol (+ addend). */
export type FieldTarget =
  | { readonly kind: 'site'; readonly site: Site; readonly relocation: FieldRelocation }
  | { readonly kind: 'external'; readonly symbol: string; readonly addend: bigint; readonly relocation: FieldRelocation };

/** One special section with its bytes and its relocations by field offset. */
export class RelocatedSection {
  readonly data: Buffer;
  private readonly relocs = new Map<number, FieldRelocation>();
  private readonly symbols: readonly ElfSymbol[];

  private constructor(
    readonly elf: ElfFile,
    readonly section: ElfSection,
    private readonly functions: SymbolMap,
  ) {
    const file = elf.name;
    this.data = elf.sectionData(section);
    this.symbols = elf.symbols();
    const machine = elf.header.machine;
    const le = elf.header.littleEndian;
    for (const table of elf.relocationsFor(section)) {
      for (let i = 0; i < table.count; i++) {
        const r = table.at(i);
        const type = relocationTypeName(machine, r.type);
        const width = relocationWidth(type);
        if (r.offset + BigInt(width) > BigInt(this.data.length)) {
          throw new InputError(file, `relocation ${i} for ${section.name} at ${hex(r.offset)} (${type}) lies outside the section (${hex(this.data.length)} bytes)`);
        }
        const offset = Number(r.offset);
        if (r.symbolIndex >= this.symbols.length) {
          throw new InputError(file, `relocation ${i} for ${section.name} at ${hex(offset)} names symbol ${r.symbolIndex}, past the end of the symbol table (${this.symbols.length})`);
        }
        if (this.relocs.has(offset)) {
          throw new InputError(file, `two relocations for ${section.name} at ${hex(offset)}`);
        }
        const sym = this.symbols[r.symbolIndex]!;
        let addend = r.addend;
        if (addend === undefined) {
          // REL: the addend is in the relocated field.
          addend = width === 8 ? BigInt.asIntN(64, le ? this.data.readBigUInt64LE(offset) : this.data.readBigUInt64BE(offset))
            : width === 4 ? BigInt(le ? this.data.readInt32LE(offset) : this.data.readInt32BE(offset))
            : width === 2 ? BigInt(le ? this.data.readInt16LE(offset) : this.data.readInt16BE(offset))
            : width === 1 ? BigInt(this.data.readInt8(offset)) : 0n;
        }
        const name = sym.type === 'section' && sym.name === '' ? (elf.sections[sym.shndx]?.name ?? '') : sym.name;
        this.relocs.set(offset, { offset, type, symbol: name, symbolIndex: r.symbolIndex, addend });
      }
    }
  }

  /** The section `name` of a relocatable object, or undefined when the object has none. */
  static open(elf: ElfFile, name: string, functions?: SymbolMap): RelocatedSection | undefined {
    const section = elf.section(name);
    if (!section) return undefined;
    if (!elf.isRelocatable) throw new InputError(elf.name, `${name}: not a relocatable object (ET_REL); only objects and modules are decoded`);
    return new RelocatedSection(elf, section, functions ?? SymbolMap.functions(elf));
  }

  get name(): string {
    return this.section.name;
  }

  get relocationCount(): number {
    return this.relocs.size;
  }

  /** The relocation at this field offset, if any. */
  relocation(offset: number): FieldRelocation | undefined {
    return this.relocs.get(offset);
  }

  /** Field offsets that carry a relocation, ascending. */
  relocatedOffsets(): number[] {
    return [...this.relocs.keys()].sort((a, b) => a - b);
  }

  /**
   * Where the relocated field at `offset` points. `what` names the field in messages
   * ("entry 3 instr_offset"); `length` bytes from the target must lie inside its section.
   */
  target(offset: number, what: string, length = 0): FieldTarget {
    const r = this.relocs.get(offset);
    if (!r) throw new InputError(this.elf.name, `${this.name}+${hex(offset)}: ${what} has no relocation`);
    const sym = this.symbols[r.symbolIndex]!;
    if (sym.shndx === SHN_UNDEF || sym.shndx >= SHN_LORESERVE) {
      return { kind: 'external', symbol: r.symbol, addend: r.addend, relocation: r };
    }
    const sec = this.elf.sections[sym.shndx];
    if (!sec) throw new InputError(this.elf.name, `${this.name}+${hex(offset)}: ${what} points into missing section ${sym.shndx}`);
    const at = sym.value + r.addend;
    if (at < 0n || at + BigInt(length) > BigInt(sec.size)) {
      throw new InputError(
        this.elf.name,
        `${this.name}+${hex(offset)}: ${what} points to ${sec.name}${at < 0n ? '-' : '+'}${hex(at < 0n ? -at : at)}${length ? ` (${length} bytes)` : ''}, outside ${sec.name} (${hex(sec.size)} bytes)`,
      );
    }
    const site = this.site(sym.shndx, Number(at));
    return { kind: 'site', site, relocation: r };
  }

  site(shndx: number, offset: number): Site {
    const f = this.functions.containing(shndx, offset);
    return {
      section: this.elf.sections[shndx]?.name ?? `[${shndx}]`,
      sectionIndex: shndx,
      offset,
      function: f?.name,
      functionOffset: f ? offset - Number(f.value) : undefined,
    };
  }

  /** Entry count for a fixed entry size; a size that does not divide the section is malformed input. */
  entryCount(entrySize: number): number {
    if (!Number.isInteger(entrySize) || entrySize <= 0) throw new Error(`invalid entry size ${entrySize}`);
    if (this.data.length % entrySize !== 0) {
      throw new InputError(this.elf.name, `${this.name}: size ${hex(this.data.length)} is not a multiple of the ${entrySize}-byte entry`);
    }
    return this.data.length / entrySize;
  }

  u8(offset: number): number {
    return this.data.readUInt8(offset);
  }

  u16(offset: number): number {
    return this.elf.header.littleEndian ? this.data.readUInt16LE(offset) : this.data.readUInt16BE(offset);
  }

  u32(offset: number): number {
    return this.elf.header.littleEndian ? this.data.readUInt32LE(offset) : this.data.readUInt32BE(offset);
  }

  s32(offset: number): number {
    return this.elf.header.littleEndian ? this.data.readInt32LE(offset) : this.data.readInt32BE(offset);
  }
}

/** "kvm_foo+0x12 (.text+0x1234)" for messages and reports. */
export function describeSite(site: Site): string {
  const where = `${site.section}+${hex(site.offset)}`;
  return site.function ? `${site.function}+${hex(site.functionOffset ?? 0)} (${where})` : where;
}
