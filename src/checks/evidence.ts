import { hex } from '../errors.js';
import type { ElfSymbol } from '../elf/index.js';
import type { Evidence } from '../findings/index.js';
import type { NewKernel } from '../kernel/kernel.js';
import type { SystemMapSymbol } from '../kernel/system-map.js';
import type { ExportedSymbol } from '../kernel/symvers.js';
import type { FrozenImport, FrozenObject } from '../model/frozen.js';
import type { Referrer } from '../model/replacement.js';

/** Evidence shared by checks: where the frozen object references a symbol, where the kernel defines it. */

export function referenceSites(obj: FrozenObject, imp: FrozenImport, max = 3): Evidence[] {
  if (imp.sites.length === 0) {
    return [{ label: 'reference', file: obj.path, section: '.symtab', symbol: imp.name, detail: 'undefined symbol (no relocation uses it)' }];
  }
  return imp.sites.slice(0, max).map((s) => ({
    label: 'reference',
    file: obj.path,
    section: s.section,
    offset: hex(s.offset),
    symbol: s.function,
    detail: s.relocation,
  }));
}

/** Where the new kernel defines a symbol: vmlinux at an address, or (stripped vmlinux) a line of its System.map. */
export function kernelSymbolAt(kernel: NewKernel, sym: ElfSymbol): { file: string; section: string | undefined; location: string } {
  const section = kernel.vmlinux.sections[sym.shndx]?.name;
  if ('line' in sym && 'file' in sym) {
    const m = sym as SystemMapSymbol;
    return { file: m.file, section, location: `line ${m.line}, address ${hex(sym.value)}` };
  }
  return { file: kernel.artifacts.vmlinux, section, location: `address ${hex(sym.value)}` };
}

export function kernelSymbol(kernel: NewKernel, sym: ElfSymbol, label = 'new kernel'): Evidence {
  const { file, section, location } = kernelSymbolAt(kernel, sym);
  return {
    label,
    file,
    section,
    symbol: sym.name,
    location,
    detail: `${sym.type.toUpperCase()} ${sym.binding.toUpperCase()}${sym.size ? `, ${sym.size} bytes` : ''}`,
  };
}

export function exportEntry(kernel: NewKernel, e: ExportedSymbol, label = 'new kernel export'): Evidence {
  const { source } = kernel.exports();
  const file = source === 'Module.symvers' ? kernel.artifacts.symvers : kernel.artifacts.vmlinux;
  return {
    label,
    file,
    location: e.line ? `line ${e.line}` : '__ksymtab',
    symbol: e.name,
    detail: `${e.exportType} from ${e.module}${e.namespace ? `, namespace ${e.namespace}` : ''}${e.crc !== undefined ? `, CRC ${crcHex(e.crc)}` : ''}`,
  };
}

export function referrer(r: Referrer, source: string): Evidence {
  return { label: 'referenced by', file: r.unit, symbol: r.function, detail: `from ${source}` };
}

export function crcHex(crc: number): string {
  return `0x${crc.toString(16).padStart(8, '0')}`;
}
