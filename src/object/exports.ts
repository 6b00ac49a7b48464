import { SHN_UNDEF } from '../elf/constants.js';
import type { ElfFile, ElfSymbol } from '../elf/index.js';
import type { FrozenExport } from '../facts/frozen-object.js';

/**
 * What an object exports. Up to v6.4 each export is a __ksymtab_<sym> symbol in
 * ___ksymtab+<sym> / ___ksymtab_gpl+<sym> (a .ko merges them into __ksymtab /
 * __ksymtab_gpl); from v6.5 modpost builds the table from __export_symbol_<sym> markers in
 * .export_symbol.
 */
export function readExports(elf: ElfFile): Map<string, FrozenExport> {
  const exports = new Map<string, FrozenExport>();
  for (const sym of elf.symbols()) {
    if (sym.name.startsWith('__ksymtab_') && sym.shndx !== SHN_UNDEF) {
      const name = sym.name.slice('__ksymtab_'.length);
      const sec = elf.sections[sym.shndx]?.name ?? `[${sym.shndx}]`;
      if (sec.startsWith('___ksymtab') || sec.startsWith('__ksymtab')) {
        exports.set(name, { name, gplOnly: sec.includes('_gpl') });
      }
    } else if (sym.name.startsWith('__export_symbol_') && sym.shndx !== SHN_UNDEF) {
      const name = sym.name.slice('__export_symbol_'.length);
      exports.set(name, { name, gplOnly: exportMarkerIsGpl(elf, sym) });
    }
  }
  return exports;
}

/** v6.5+ export markers hold the license string ("GPL" or "") the export was declared with. */
function exportMarkerIsGpl(elf: ElfFile, sym: ElfSymbol): boolean {
  const section = elf.sections[sym.shndx];
  if (!section) return false;
  const data = elf.sectionData(section);
  const start = Number(sym.value);
  const end = data.indexOf(0, start);
  return start < data.length && data.toString('latin1', start, end < 0 ? data.length : end).startsWith('GPL');
}
