import type { ElfFile, ElfSection, ElfSymbol } from '../elf/index.js';
import type { ExportedSymbol } from '../facts/kernel-exports.js';

/**
 * The exports of a linked vmlinux, read from its own tables when no Module.symvers is at
 * hand: a `__ksymtab_<sym>` marker symbol per entry in `__ksymtab` (plain) or
 * `__ksymtab_gpl`, the namespace through the entry's third PREL32 field into
 * `__ksymtab_strings`, and the CRC from `__crc_<sym>` in `__kcrctab*`. The symbols are
 * vmlinux's .symtab, or those its System.map gives a stripped vmlinux (where a kernel's
 * scripts/mksysmap has left the `__crc_` ones out: no CRCs then).
 */
export function readVmlinuxExports(elf: ElfFile, symbols: readonly ElfSymbol[] = elf.symbols()): Map<string, ExportedSymbol> {
  const out = new Map<string, ExportedSymbol>();
  const ksymtab = elf.section('__ksymtab');
  const ksymtabGpl = elf.section('__ksymtab_gpl');
  if (!ksymtab && !ksymtabGpl) return out;
  const strings = elf.section('__ksymtab_strings');
  const crcSections = [elf.section('__kcrctab'), elf.section('__kcrctab_gpl')].filter((s): s is ElfSection => !!s);
  const le = elf.header.littleEndian;

  const crcs = new Map<string, number>();
  const markers: { name: string; section: ElfSection; value: bigint }[] = [];
  for (const sym of symbols) {
    if (sym.name.startsWith('__crc_')) {
      const sec = crcSections.find((s) => s.index === sym.shndx);
      if (sec) {
        const data = elf.sectionData(sec);
        const off = Number(sym.value - sec.addr);
        if (off >= 0 && off + 4 <= data.length) crcs.set(sym.name.slice(6), le ? data.readUInt32LE(off) : data.readUInt32BE(off));
      }
    } else if (sym.name.startsWith('__ksymtab_')) {
      const sec = sym.shndx === ksymtab?.index ? ksymtab : sym.shndx === ksymtabGpl?.index ? ksymtabGpl : undefined;
      if (sec) markers.push({ name: sym.name.slice('__ksymtab_'.length), section: sec, value: sym.value });
    }
  }

  const stringData = strings ? elf.sectionData(strings) : undefined;
  for (const m of markers) {
    let namespace: string | undefined;
    // struct kernel_symbol with PREL32 relocations: { int value_offset, name_offset, namespace_offset }.
    const data = elf.sectionData(m.section);
    const entryOff = Number(m.value - m.section.addr);
    if (stringData && strings && entryOff >= 0 && entryOff + 12 <= data.length) {
      const rel = le ? data.readInt32LE(entryOff + 8) : data.readInt32BE(entryOff + 8);
      if (rel !== 0) {
        const target = m.value + 8n + BigInt(rel) - strings.addr;
        if (target >= 0n && target < BigInt(stringData.length)) {
          const start = Number(target);
          const end = stringData.indexOf(0, start);
          const ns = stringData.toString('latin1', start, end < 0 ? stringData.length : end);
          if (ns !== '') namespace = ns;
        }
      }
    }
    const gplOnly = m.section.name === '__ksymtab_gpl';
    out.set(m.name, {
      name: m.name,
      crc: crcs.get(m.name),
      module: 'vmlinux',
      exportType: gplOnly ? 'EXPORT_SYMBOL_GPL' : 'EXPORT_SYMBOL',
      namespace,
      gplOnly,
      line: 0,
    });
  }
  return out;
}
