import { existsSync, readdirSync, statSync } from 'node:fs';
import { readInputText } from '../input-file.js';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { readCpufeatures, readExtableTypes, type CpuFeatures } from '../arch/x86/index.js';
import { readCpucaps, type Cpucaps } from '../arch/arm64/cpucaps.js';
import type { CpuFeatureTable, ExtableTypes } from '../facts/x86-headers.js';

/**
 * Source files of a kernel (arch/x86/include/asm/cpufeatures.h, scripts/module.lds, …) in
 * whatever layout the kernel came in: a make O= build directory (its Makefile includes the
 * source tree's), a source tree itself, a Debian linux-headers-<abi> directory with its
 * -common sibling, or an unpacked set of Debian packages (usr/src/linux-headers-*).
 */
export class KernelSources {
  private constructor(readonly roots: readonly string[]) {}

  /** Roots to search, most specific first. `root` is a build directory, a source tree, a headers directory or an unpack root. */
  static of(...given: (string | undefined)[]): KernelSources {
    const roots: string[] = [];
    const add = (dir: string) => {
      if (!roots.includes(dir) && isDirectory(dir)) roots.push(dir);
    };
    for (const root of given) {
      if (!root || !isDirectory(root)) continue;
      add(root);
      const source = sourceOfBuildDir(root);
      if (source) add(source);
      add(join(root, 'source'));
      // Debian: linux-headers-<abi> sits next to linux-headers-<version>-common.
      const parent = dirname(root);
      const base = root.slice(parent.length + 1);
      const m = /^linux-headers-(.+?)-[a-z0-9]+$/.exec(base);
      if (m) {
        for (const sibling of safeList(parent)) if (sibling.startsWith(`linux-headers-${m[1]}`) && sibling.endsWith('-common')) add(join(parent, sibling));
      }
      const usrSrc = join(root, 'usr', 'src');
      for (const d of safeList(usrSrc).sort()) if (d.startsWith('linux-headers-')) add(join(usrSrc, d));
    }
    return new KernelSources(roots);
  }

  /** The first root holding `relPath`, or undefined. */
  find(relPath: string): string | undefined {
    for (const root of this.roots) {
      const p = join(root, relPath);
      if (isFile(p)) return p;
    }
    return undefined;
  }
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** A make O= build directory's Makefile reads "include <srctree>/Makefile". */
function sourceOfBuildDir(dir: string): string | undefined {
  const makefile = join(dir, 'Makefile');
  if (!existsSync(makefile)) return undefined;
  let text: string;
  try {
    text = readInputText(makefile, 'Makefile').slice(0, 4096);
  } catch {
    return undefined;
  }
  const m = /^include\s+(\S+)\/Makefile\s*$/m.exec(text);
  if (!m) return undefined;
  const src = isAbsolute(m[1]!) ? m[1]! : resolve(dir, m[1]!);
  return isDirectory(src) ? src : undefined;
}

/**
 * The header tables a kernel's sources define that special-section entries are decoded
 * with: x86 feature numbers (cpufeatures.h) and exception-table fixup types
 * (extable_fixup_types.h). Each is parsed the first time it is asked for, for the new
 * kernel and for the kernel the frozen objects were built in alike.
 */
export class HeaderTables {
  private cpufeaturesCache: CpuFeatures | null | undefined;
  private extableCache: ExtableTypes | null | undefined;
  private readonly cpucapsCache = new Map<string, Cpucaps | null>();

  constructor(private readonly sources: () => KernelSources) {}

  /** The cpufeatures.h at `relPath` (arch/x86/include/asm/cpufeatures.h). */
  cpufeatures(relPath: string): CpuFeatures | undefined {
    if (this.cpufeaturesCache === undefined) {
      const file = this.sources().find(relPath);
      this.cpufeaturesCache = file ? readCpufeatures(file) : null;
    }
    return this.cpufeaturesCache ?? undefined;
  }

  /** The feature numbers an alternative may be gated on: arm64's cpucaps under arch/arm64/, else x86's cpufeatures.h. */
  featureTable(relPath: string): CpuFeatureTable | undefined {
    return relPath.startsWith('arch/arm64/') ? this.cpucaps(relPath) : this.cpufeatures(relPath);
  }

  /** arm64: the generated cpucaps header at `relPath` (arch/arm64/include/generated/asm/cpucap-defs.h), by path. */
  cpucaps(relPath: string): Cpucaps | undefined {
    let table = this.cpucapsCache.get(relPath);
    if (table === undefined) {
      const file = this.sources().find(relPath);
      this.cpucapsCache.set(relPath, (table = file ? readCpucaps(file) : null));
    }
    return table ?? undefined;
  }

  extableTypes(): ExtableTypes | undefined {
    if (this.extableCache === undefined) {
      const file = this.sources().find('arch/x86/include/asm/extable_fixup_types.h');
      this.extableCache = file ? readExtableTypes(file) : null;
    }
    return this.extableCache ?? undefined;
  }
}
