import type { LinkModel } from '../model/link.js';
import type { FrozenObject } from '../model/frozen.js';
import { ElfFile } from '../elf/index.js';
import { readModuleInfo, type ModuleInfo } from '../kernel/module-info.js';
import { join } from 'node:path';

/**
 * The .modinfo that governs a frozen object's module: its own (a .ko, or an object that
 * carries MODULE_LICENSE), else the new tree's build of that module.
 */
export function governingModuleInfo(model: LinkModel, obj: FrozenObject): { info: ModuleInfo; from: string } | undefined {
  if (obj.moduleInfo) return { info: obj.moduleInfo, from: obj.path };
  for (const other of model.frozen) if (other.moduleInfo) return { info: other.moduleInfo, from: other.path };
  const tree = model.kernel.tree();
  for (const r of model.replaced()) {
    if (r.frozen !== obj || r.target.kind !== 'module' || !tree) continue;
    const ko = join(tree.root, `${r.target.module}.ko`);
    try {
      const elf = ElfFile.open(ko);
      try {
        const info = readModuleInfo(elf);
        if (info) return { info, from: ko };
      } finally {
        elf.close();
      }
    } catch {
      return undefined;
    }
  }
  return undefined;
}
