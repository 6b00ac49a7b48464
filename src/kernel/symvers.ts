import { InputError } from '../errors.js';
import { readInputLines } from '../input-file.js';
import type { ExportedSymbol, ExportTable, ExportType } from '../facts/kernel-exports.js';

const EXPORT_TYPES = new Set<string>([
  'EXPORT_SYMBOL',
  'EXPORT_SYMBOL_GPL',
  'EXPORT_SYMBOL_GPL_FUTURE',
  'EXPORT_UNUSED_SYMBOL',
  'EXPORT_UNUSED_SYMBOL_GPL',
]);

/** An ExportTable over entries already decoded (from vmlinux's __ksymtab). */
export class DecodedExports implements ExportTable {
  constructor(private readonly map: ReadonlyMap<string, ExportedSymbol>) {}
  get(name: string) {
    return this.map.get(name);
  }
  has(name: string) {
    return this.map.has(name);
  }
  names() {
    return this.map.keys();
  }
  ofModule(module: string) {
    return [...this.map.values()].filter((e) => e.module === module);
  }
  get size() {
    return this.map.size;
  }
}

/**
 * Module.symvers as modpost writes it (scripts/mod/modpost.c, write_dump): one export per
 * line, tab-separated, in the order CRC, symbol, module, export type, namespace. The kbuild
 * documentation (modules.rst) lists the columns in another order; modpost's is the truth.
 * The namespace column is empty when the export has none; files from kernels before v5.4
 * have only four columns.
 *
 * A distribution kernel's file has ~30,000 lines and a check asks about a few dozen: the
 * table indexes names on load and decodes (and validates) a line when it is asked for.
 */
export class ModuleSymvers implements ExportTable {
  private readonly lines = new Map<string, number>();
  private readonly starts: number[] = [];
  private readonly decoded = new Map<string, ExportedSymbol>();

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {
    let pos = 0;
    while (pos < text.length) {
      let eol = text.indexOf('\n', pos);
      if (eol < 0) eol = text.length;
      this.starts.push(pos);
      const lineNo = this.starts.length;
      if (eol > pos) {
        const a = text.indexOf('\t', pos);
        const b = a < 0 || a > eol ? -1 : text.indexOf('\t', a + 1);
        if (b < 0 || b > eol) throw new InputError(file, `line ${lineNo}: expected 4 or 5 tab-separated fields, found ${a < 0 || a > eol ? 1 : 2}`);
        const name = text.slice(a + 1, b);
        if (name === '') throw new InputError(file, `line ${lineNo}: empty symbol or module field`);
        this.lines.set(name, lineNo);
      }
      pos = eol + 1;
    }
    if (text.length > 0 && !text.endsWith('\n')) throw new InputError(file, `truncated: line ${this.starts.length} has no end`);
  }

  get size(): number {
    return this.lines.size;
  }

  has(name: string): boolean {
    return this.lines.has(name);
  }

  names(): Iterable<string> {
    return this.lines.keys();
  }

  get(name: string): ExportedSymbol | undefined {
    const cached = this.decoded.get(name);
    if (cached) return cached;
    const lineNo = this.lines.get(name);
    if (lineNo === undefined) return undefined;
    const e = this.decodeLine(lineNo);
    this.decoded.set(name, e);
    return e;
  }

  ofModule(module: string): ExportedSymbol[] {
    const needle = `\t${module}\t`;
    const out: ExportedSymbol[] = [];
    for (let at = this.text.indexOf(needle); at >= 0; at = this.text.indexOf(needle, at + 1)) {
      const start = this.text.lastIndexOf('\n', at) + 1;
      const name = this.text.slice(this.text.indexOf('\t', start) + 1, at);
      const e = this.get(name);
      if (e && e.module === module) out.push(e);
    }
    return out;
  }

  private decodeLine(lineNo: number): ExportedSymbol {
    const start = this.starts[lineNo - 1]!;
    let end = this.text.indexOf('\n', start);
    if (end < 0) end = this.text.length;
    const f = this.text.slice(start, end).split('\t');
    const file = this.file;
    if (f.length < 4 || f.length > 5) throw new InputError(file, `line ${lineNo}: expected 4 or 5 tab-separated fields, found ${f.length}`);
    const [crcText, name, module, exportType, namespace] = f as [string, string, string, string, string | undefined];
    const crc = crcText.length >= 3 && crcText.length <= 10 && crcText.startsWith('0x') ? Number(crcText) : Number.NaN;
    if (!Number.isInteger(crc)) throw new InputError(file, `line ${lineNo}: bad CRC field '${crcText}' (is this Module.symvers?)`);
    if (!EXPORT_TYPES.has(exportType)) throw new InputError(file, `line ${lineNo}: unknown export type '${exportType}'`);
    if (module === '') throw new InputError(file, `line ${lineNo}: empty symbol or module field`);
    return {
      name,
      crc,
      module,
      exportType: exportType as ExportType,
      namespace: namespace ? namespace : undefined,
      gplOnly: exportType.includes('GPL'),
      line: lineNo,
    };
  }

  /** Decodes every line (validating all of them). */
  all(): ExportedSymbol[] {
    return [...this.lines.keys()].map((n) => this.get(n)!);
  }
}

export function parseModuleSymvers(text: string, file: string): ModuleSymvers {
  return new ModuleSymvers(text, file);
}

export function readModuleSymvers(path: string): ModuleSymvers {
  return parseModuleSymvers(readInputLines(path, 'Module.symvers', 'latin1'), path);
}
