import { SHF_ALLOC, SHF_EXECINSTR, SHN_ABS } from '../elf/constants.js';
import { FileSource, type ElfSection, type ElfSymbol, type SymbolBinding, type SymbolType } from '../elf/index.js';
import { InputError } from '../errors.js';
import { checkLineLengths } from '../input-file.js';
import { LIMITS, overLimit } from '../limits.js';

export interface SystemMapEntry {
  readonly address: bigint;
  /** nm's type letter: T/t text, D/d data, B/b bss, R/r rodata, A absolute, W/w weak, V/v… */
  readonly type: string;
  readonly name: string;
  /** 1-based line of System.map. */
  readonly line: number;
}

/** "address type name", as nm -n writes it (kallsyms-style trailing fields are ignored). */
const LINE = /([0-9a-fA-F]{8,16}) ([A-Za-z?]) (\S+)[^\n]*/y;

/** An entry whose address is parsed when asked for: a kernel's System.map has 150,000+ lines. */
class Entry implements SystemMapEntry {
  constructor(
    private readonly hexAddress: string,
    readonly type: string,
    readonly name: string,
    readonly line: number,
  ) {}

  get address(): bigint {
    return BigInt(`0x${this.hexAddress}`);
  }
}

/** The line at `pos` of `text` (ending at `end`), or an InputError naming where it is. */
function parseLine(text: string, pos: number, end: number, file: string, where: string, line: number): Entry {
  LINE.lastIndex = pos;
  const m = LINE.exec(text);
  if (!m || LINE.lastIndex !== end) throw new InputError(file, `${where}: not a System.map line: ${text.slice(pos, Math.min(end, pos + 60))}`);
  return new Entry(m[1]!, m[2]!, m[3]!, line);
}

/** System.map ("address type name" per line, as nm -n writes it). */
export function parseSystemMap(text: string, file: string): SystemMapEntry[] {
  const out: SystemMapEntry[] = [];
  let lineNo = 0;
  for (let pos = 0; pos < text.length; ) {
    lineNo++;
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    if (end > pos) out.push(parseLine(text, pos, end, file, `line ${lineNo}`, lineNo));
    pos = end + 1;
  }
  if (out.length === 0) throw new InputError(file, 'empty System.map');
  return out;
}

export function readSystemMap(path: string): SystemMapEntry[] {
  return new SystemMap(path).entries();
}

/** How the symbols decoded from a vmlinux's kallsyms are named: `<image> (kallsyms)`. */
export const KALLSYMS_SUFFIX = ' (kallsyms)';

/** Letters of a defined global (or weak) symbol; nm writes locals in lower case, and U/N/? define nothing. */
const isGlobalLetter = (type: string) => type >= 'A' && type <= 'Z' && type !== 'U' && type !== 'N';

/**
 * A kernel's System.map, read on first use: whole (entries(), the symbol source of a
 * stripped vmlinux) or a few lines spread over it (sample(), enough to tell whether it
 * belongs to a vmlinux that has its own .symtab).
 */
export class SystemMap {
  private entriesCache: SystemMapEntry[] | undefined;

  /**
   * `decoded`: the entries already read from elsewhere (a stripped vmlinux's kallsyms), named
   * by `path` in evidence; there is no file to read then.
   */
  constructor(
    readonly path: string,
    decoded?: readonly SystemMapEntry[],
  ) {
    this.entriesCache = decoded ? [...decoded] : undefined;
  }

  /** Whether the entries were decoded from vmlinux's kallsyms rather than read from a System.map file. */
  get fromKallsyms(): boolean {
    return this.path.endsWith(KALLSYMS_SUFFIX);
  }

  entries(): SystemMapEntry[] {
    if (!this.entriesCache) {
      const source = FileSource.open(this.path);
      try {
        if (source.size > LIMITS.TEXT_FILE_SIZE.value) throw new InputError(this.path, overLimit(LIMITS.TEXT_FILE_SIZE, 'System.map too large', source.size));
        const text = source.read(0, source.size, 'System.map').toString('latin1');
        checkLineLengths(text, this.path);
        this.entriesCache = parseSystemMap(text, this.path);
      } finally {
        source.close();
      }
    }
    return this.entriesCache;
  }

  /**
   * Up to `count` global entries from windows spread evenly over the file: the first global
   * line of each window. Reads count × 4 KiB, whatever the file's size; every whole line of a
   * window must be a System.map line. Line numbers are unknown here (0).
   */
  sample(count = 16): SystemMapEntry[] {
    if (this.entriesCache) return spread(this.entriesCache.filter((e) => isGlobalLetter(e.type)), count);
    const source = FileSource.open(this.path);
    try {
      if (source.size === 0) throw new InputError(this.path, 'empty System.map');
      const out = new Map<string, SystemMapEntry>();
      for (let i = 0; i < count; i++) {
        const start = Math.floor((i * source.size) / count);
        const text = source.read(start, Math.min(4096, source.size - start), 'System.map').toString('latin1');
        // A window starts mid-line unless it starts the file, and ends mid-line unless it ends it.
        let pos = start === 0 ? 0 : text.indexOf('\n') + 1;
        if (start !== 0 && pos === 0) continue;
        let picked = false;
        while (pos < text.length) {
          let end = text.indexOf('\n', pos);
          if (end < 0) {
            if (start + text.length < source.size) break;
            end = text.length;
          }
          if (end > pos) {
            const e = parseLine(text, pos, end, this.path, `byte ${start + pos}`, 0);
            if (!picked && isGlobalLetter(e.type)) {
              picked = true;
              if (!out.has(e.name)) out.set(e.name, e);
            }
          }
          pos = end + 1;
        }
      }
      return [...out.values()];
    } finally {
      source.close();
    }
  }
}

function spread<T>(items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items];
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]!);
}

/** A symbol of a stripped vmlinux, as its System.map gives it. */
export interface SystemMapSymbol extends ElfSymbol {
  /** The System.map it came from, and its line there. */
  readonly file: string;
  readonly line: number;
}

/**
 * System.map's entries in the shape of vmlinux .symtab symbols, for a vmlinux without one.
 * What a line does not say is filled in, or left empty:
 *  - binding: upper case is global, W/V weak; lower-case w/v (weak undefined) and U, N, ?
 *    define nothing and are left out;
 *  - type: T/t func (an assembler label without .type is NOTYPE in .symtab, func here),
 *    W by its section (code: func), A notype, every other letter object;
 *  - section: the allocated section of vmlinux whose addresses hold the symbol, else one
 *    that ends at it (_etext, _end), else SHN_ABS. A symbol at a boundary (__stop_*,
 *    __per_cpu_end) gets the section that starts there, where .symtab may name the one
 *    that ends there;
 *  - size: 0. System.map has no sizes; the distance to the next address would count
 *    alignment padding and aliases, so no size is claimed;
 *  - index: the line number (there is no .symtab index).
 */
export class SystemMapSymbols {
  private symbolsCache: SystemMapSymbol[] | undefined;
  private byName: Map<string, SystemMapSymbol | SystemMapSymbol[]> | undefined;
  private readonly ranges: readonly ElfSection[];

  constructor(
    readonly map: SystemMap,
    sections: readonly ElfSection[],
  ) {
    this.ranges = sections.filter((s) => s.flags & SHF_ALLOC && s.size > 0).sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
  }

  all(): readonly SystemMapSymbol[] {
    if (!this.symbolsCache) {
      const out: SystemMapSymbol[] = [];
      for (const e of this.map.entries()) {
        const s = this.symbolOf(e);
        if (s) out.push(s);
      }
      this.symbolsCache = out;
    }
    return this.symbolsCache;
  }

  named(name: string): readonly SystemMapSymbol[] {
    if (!this.byName) {
      this.byName = new Map();
      for (const s of this.all()) {
        const had = this.byName.get(s.name);
        if (!had) this.byName.set(s.name, s);
        else if (Array.isArray(had)) had.push(s);
        else this.byName.set(s.name, [had, s]);
      }
    }
    const hit = this.byName.get(name);
    return hit === undefined ? [] : Array.isArray(hit) ? hit : [hit];
  }

  private symbolOf(e: SystemMapEntry): SystemMapSymbol | undefined {
    const t = e.type;
    if (t === 'U' || t === 'N' || t === 'w' || t === 'v' || t === '?' || t === 'n') return undefined;
    const binding: SymbolBinding = t === 'W' || t === 'V' ? 'weak' : t >= 'A' && t <= 'Z' ? 'global' : 'local';
    const value = e.address;
    const section = t === 'A' || t === 'a' ? undefined : this.sectionAt(value);
    let type: SymbolType;
    if (t === 'T' || t === 't') type = 'func';
    else if (t === 'A' || t === 'a') type = 'notype';
    else if (t === 'W') type = section ? (section.flags & SHF_EXECINSTR ? 'func' : 'object') : 'notype';
    else type = 'object';
    return {
      index: e.line,
      name: e.name,
      value,
      size: 0,
      binding,
      type,
      visibility: 'default',
      shndx: section ? section.index : SHN_ABS,
      file: this.map.path,
      line: e.line,
    };
  }

  private sectionAt(address: bigint): ElfSection | undefined {
    // The last section starting at or below the address holds it, or ends at it, unless
    // sections overlap: then (and for addresses outside every section) look at them all.
    const r = this.ranges;
    let lo = 0;
    let hi = r.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (r[mid]!.addr <= address) lo = mid + 1;
      else hi = mid;
    }
    const last = r[lo - 1];
    if (last && address < last.addr + BigInt(last.size)) return last;
    const holds = r.find((s) => s.addr <= address && address < s.addr + BigInt(s.size));
    return holds ?? r.find((s) => s.addr + BigInt(s.size) === address);
  }
}
