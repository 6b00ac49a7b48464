import type { KernelSymbols } from '../../facts/kernel-symbols.js';
import type { LinkModel } from '../../model/link.js';
import type { FrozenObject } from '../../facts/frozen-object.js';
import type { ModuleInfo } from '../../facts/module.js';

/**
 * The .modinfo that governs a frozen object's module: its own (a .ko, or an object that
 * carries MODULE_LICENSE), else the new tree's build of that module.
 */
export function governingModuleInfo(link: LinkModel, kernel: KernelSymbols, obj: FrozenObject): { info: ModuleInfo; from: string } | undefined {
  if (obj.moduleInfo) return { info: obj.moduleInfo, from: obj.path };
  for (const other of link.frozen) if (other.moduleInfo) return { info: other.moduleInfo, from: other.path };
  for (const r of link.replaced()) {
    if (r.frozen !== obj || r.target.kind !== 'module' || !kernel.isBuildTree) continue;
    const built = kernel.moduleInfoOf(r.target.module);
    if (built) return built;
  }
  return undefined;
}
