import type { ElfFile } from '../elf/index.js';
import { Btf } from './btf.js';
import { matchDistilledBase, relocateSplit, type DistilledBaseMatch } from './distilled.js';
import { BtfTypeGraph } from './type-graph.js';

/**
 * BTF read from an ELF file: vmlinux's .BTF (a base), a module's .BTF (split BTF on vmlinux's
 * or, with .BTF.base, on the distilled base it carries).
 */

/** The ELF's .BTF section, parsed (split on `base` when given); undefined when there is none. */
export function readBtf(elf: ElfFile, base?: Btf): Btf | undefined {
  const section = elf.section('.BTF');
  if (!section) return undefined;
  return Btf.parse(elf.sectionData(section), elf.name, base, { section: '.BTF' });
}

/** The ELF's .BTF.base section (a distilled base, kernels 6.12+ built with pahole 1.27+), parsed; undefined when absent. */
export function readDistilledBase(elf: ElfFile): Btf | undefined {
  const section = elf.section('.BTF.base');
  if (!section) return undefined;
  return Btf.parse(elf.sectionData(section), elf.name, undefined, { section: '.BTF.base' });
}

/** The graph of an ELF's .BTF, with the ELF's pointer size. */
export function btfGraph(elf: ElfFile, btf: Btf): BtfTypeGraph {
  return new BtfTypeGraph(btf, { pointerSize: elf.header.is64 ? 8 : 4 });
}

export interface ModuleBtf {
  /** The module's .BTF as split BTF on its base: vmlinux's, or the distilled base when the module has one. */
  readonly split: Btf;
  /** .BTF.base, when present. */
  readonly distilled: Btf | undefined;
  /** With a distilled base: how each of its types maps to vmlinux's. */
  readonly matches: readonly DistilledBaseMatch[] | undefined;
  /** The module's types on vmlinux's ids: `split` itself, or the relocated split BTF; undefined when relocation fails. */
  readonly onVmlinux: Btf | undefined;
}

/** A module's BTF read against vmlinux's: directly, or through its distilled base; undefined without .BTF. */
export function readModuleBtf(elf: ElfFile, vmlinux: Btf): ModuleBtf | undefined {
  const distilled = readDistilledBase(elf);
  const split = readBtf(elf, distilled ?? vmlinux);
  if (!split) return undefined;
  if (!distilled) return { split, distilled: undefined, matches: undefined, onVmlinux: split };
  const matches = matchDistilledBase(distilled, vmlinux, split);
  const onVmlinux = matches.every((m) => m.status === 'found') ? relocateSplit(split, vmlinux) : undefined;
  return { split, distilled, matches, onVmlinux };
}
