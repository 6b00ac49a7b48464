import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';

export type ExportType = 'EXPORT_SYMBOL' | 'EXPORT_SYMBOL_GPL' | 'EXPORT_SYMBOL_GPL_FUTURE' | 'EXPORT_UNUSED_SYMBOL' | 'EXPORT_UNUSED_SYMBOL_GPL';

export interface ExportedSymbol {
  readonly name: string;
  /** Modversions CRC; undefined when the kernel was built without CONFIG_MODVERSIONS (0x00000000). */
  readonly crc: number | undefined;
  /** "vmlinux" or the module path without .ko, e.g. "crypto/jitterentropy_rng". */
  readonly module: string;
  readonly exportType: ExportType;
  readonly namespace: string | undefined;
  readonly gplOnly: boolean;
  /** Line in Module.symvers, for evidence. */
  readonly line: number;
}

const EXPORT_TYPES = new Set<string>([
  'EXPORT_SYMBOL',
  'EXPORT_SYMBOL_GPL',
  'EXPORT_SYMBOL_GPL_FUTURE',
  'EXPORT_UNUSED_SYMBOL',
  'EXPORT_UNUSED_SYMBOL_GPL',
]);

/**
 * Module.symvers as modpost writes it (scripts/mod/modpost.c, write_dump): one export per
 * line, tab-separated, in the order CRC, symbol, module, export type, namespace. The kbuild
 * documentation (modules.rst) lists the columns in another order; modpost's is the truth.
 * The namespace column is empty when the export has none; files from kernels before v5.4
 * have only four columns.
 */
export function parseModuleSymvers(text: string, file: string): Map<string, ExportedSymbol> {
  const exports = new Map<string, ExportedSymbol>();
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    if (line === '') continue;
    const f = line.split('\t');
    if (f.length < 4 || f.length > 5) {
      throw new InputError(file, `line ${lineNo}: expected 4 or 5 tab-separated fields, found ${f.length}`);
    }
    const [crcText, name, module, exportType, namespace] = f as [string, string, string, string, string | undefined];
    if (!/^0x[0-9a-fA-F]{1,8}$/.test(crcText)) {
      throw new InputError(file, `line ${lineNo}: bad CRC field '${crcText}' (is this Module.symvers?)`);
    }
    if (!EXPORT_TYPES.has(exportType)) {
      throw new InputError(file, `line ${lineNo}: unknown export type '${exportType}'`);
    }
    if (name === '' || module === '') throw new InputError(file, `line ${lineNo}: empty symbol or module field`);
    const crc = Number.parseInt(crcText, 16);
    exports.set(name, {
      name,
      crc,
      module,
      exportType: exportType as ExportType,
      namespace: namespace ? namespace : undefined,
      gplOnly: exportType.includes('GPL'),
      line: lineNo,
    });
  }
  return exports;
}

export function readModuleSymvers(path: string): Map<string, ExportedSymbol> {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (err) {
    throw new InputError(path, `cannot read Module.symvers (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseModuleSymvers(text, path);
}
