import { SHN_UNDEF } from '../elf/constants.js';
import type { ElfFile } from '../elf/file.js';
import { FIPS140_KEY_TABLES, isFips140Placeholder, type PlaceholderCheck } from '../facts/verify.js';

/**
 * Amazon Linux's two-way ABI between vmlinux and fips140.ko: the kernel calls the module's
 * functions and reads its variables through placeholders it defines; the module's key tables
 * name each placeholder (the first pointer of an entry, a relocation against the kernel's
 * symbol) with the function or variable to store there at load. A placeholder the kernel has
 * and no entry fills stays NULL (a NULL call or dereference when used); an entry whose
 * placeholder the kernel lacks refers to a symbol the loader cannot resolve.
 */
export function placeholderAbi(module: ElfFile, vmlinux: ElfFile): PlaceholderCheck {
  const pointer = module.header.is64 ? 8 : 4;
  const symbols = module.symbols();
  const filled = new Set<string>();
  for (const name of FIPS140_KEY_TABLES) {
    const table = module.section(name);
    if (!table) continue;
    for (const rel of module.relocationsFor(table)) {
      for (let i = 0; i < rel.count; i++) {
        if (Number(rel.offsetAt(i)) % (2 * pointer) !== 0) continue;
        const sym = symbols[rel.symbolIndexAt(i)];
        if (sym && sym.name !== '') filled.add(sym.name);
      }
    }
  }
  const defined = new Set(vmlinux.nonLocalSymbols().filter((s) => s.shndx !== SHN_UNDEF && isFips140Placeholder(s.name)).map((s) => s.name));
  return {
    module: module.name,
    kernel: vmlinux.name,
    matched: [...filled].filter((n) => defined.has(n)).length,
    unfilled: [...defined].filter((n) => !filled.has(n)).sort(),
    missing: [...filled].filter((n) => !defined.has(n)).sort(),
  };
}
