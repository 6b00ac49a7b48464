import { readInputText } from '../../input-file.js';
import { InputError } from '../../errors.js';
import type { CpuFeatureTable } from '../../facts/x86-headers.js';

/**
 * arm64 cpucap numbers from a kernel's generated header: `arch/arm64/include/generated/asm/
 * cpucaps.h` (6.1) or `cpucap-defs.h` (v6.3 on), which gen-cpucaps.awk writes from
 * `arch/arm64/tools/cpucaps` as `#define ARM64_HAS_LSE_ATOMICS 26`, numbered in the list's
 * sorted order and ending with ARM64_NCAPS. A cap added anywhere in the list renumbers every
 * cap after it; `.altinstructions` entries carry only the number.
 */
export class Cpucaps implements CpuFeatureTable {
  private readonly byNumber = new Map<number, string[]>();
  private readonly byName = new Map<string, number>();

  constructor(
    readonly file: string,
    defines: readonly { name: string; number: number }[],
  ) {
    for (const d of defines) {
      this.byName.set(d.name, d.number);
      const names = this.byNumber.get(d.number);
      if (names) names.push(d.name);
      else this.byNumber.set(d.number, [d.name]);
    }
  }

  names(number: number): readonly string[] {
    return this.byNumber.get(number) ?? [];
  }

  number(name: string): number | undefined {
    return this.byName.get(name) ?? this.byName.get(`ARM64_${name}`);
  }

  /** ARM64_NCAPS: how many caps the kernel numbers. */
  get count(): number | undefined {
    return this.byName.get('ARM64_NCAPS');
  }
}

const DEFINE = /^#define\s+(ARM64_[A-Za-z0-9_]+)\s+(\d+)\s*$/;

export function readCpucaps(file: string): Cpucaps {
  const defines: { name: string; number: number }[] = [];
  for (const line of readInputText(file, 'C header', 'latin1').split('\n')) {
    const m = DEFINE.exec(line);
    if (m) defines.push({ name: m[1]!, number: Number(m[2]) });
  }
  if (defines.length === 0) throw new InputError(file, 'no #define ARM64_<cap> <number> lines: not a generated cpucaps header');
  return new Cpucaps(file, defines);
}
