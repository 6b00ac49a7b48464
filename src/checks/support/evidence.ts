import { hex } from '../../errors.js';
import type { Evidence } from '../../findings/index.js';
import { crcHex } from '../../findings/prose.js';
import type { KernelSymbols } from '../../facts/kernel-symbols.js';
import type { LinkedSymbol } from '../../facts/symbols.js';
import type { ExportedSymbol } from '../../facts/kernel-exports.js';
import type { FrozenImport, FrozenObject } from '../../facts/frozen-object.js';
import type { Referrer } from '../../facts/replacement.js';

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
export function kernelSymbol(kernel: KernelSymbols, sym: LinkedSymbol, label = 'new kernel'): Evidence {
  const { file, section, location } = kernel.whereDefined(sym);
  return {
    label,
    file,
    section,
    symbol: sym.name,
    location,
    detail: `${sym.type.toUpperCase()} ${sym.binding.toUpperCase()}${sym.size ? `, ${sym.size} bytes` : ''}`,
  };
}

export function exportEntry(kernel: KernelSymbols, e: ExportedSymbol, label = 'new kernel export'): Evidence {
  const { file } = kernel.exports();
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
