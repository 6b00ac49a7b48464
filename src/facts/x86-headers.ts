/**
 * What a kernel's x86 headers say, as the build-primitive detectors ask it: the CPU feature
 * numbers of cpufeatures.h (src/arch/x86/cpufeatures.ts reads them) and the exception-table
 * fixup types of extable_fixup_types.h (src/arch/x86/extable.ts), with the names the
 * findings give them.
 */

/** A cpufeatures.h read: X86_FEATURE_* and X86_BUG_* by number and by name. */
export interface CpuFeatureTable {
  /** The header the features were read from. */
  readonly file: string;
  /** Every macro name with this number (aliases share one), in header order. */
  names(number: number): readonly string[];
  /** The number of a feature, by macro name or short name. */
  number(name: string): number | undefined;
}

/** The EX_TYPE_* of an extable_fixup_types.h. */
export interface ExtableTypes {
  readonly file: string;
  /** EX_DATA_TYPE_MASK (0xff when the header lacks it). */
  readonly typeMask: number;
  readonly immMask: number;
  /** Type number → names defined as a plain number (`#define EX_TYPE_COPY 4`). */
  readonly types: ReadonlyMap<number, readonly string[]>;
  /** Names defined as a type combined with an immediate (`EX_TYPE_ZERO_REG`), by full `data & (type|imm)` value. */
  readonly composites: ReadonlyMap<number, readonly string[]>;
  /** Name → value, plain and composite. */
  readonly byName: ReadonlyMap<string, number>;
}

/** `X86_FEATURE_CLEAR_CPU_BUF` → `CLEAR_CPU_BUF`, `X86_BUG_SRSO` → `BUG_SRSO`. */
export function shortFeatureName(name: string): string {
  if (name.startsWith('X86_FEATURE_')) return name.slice('X86_FEATURE_'.length);
  if (name.startsWith('X86_')) return name.slice(4);
  return name;
}

/** `11*32+18` for a number. */
export function wordBit(number: number): string {
  return `${Math.floor(number / 32)}*32+${number % 32}`;
}

/** A feature number as a header names it: `CLEAR_CPU_BUF`, aliases joined with `/`, or `unnamed 11*32+18`. */
export function featureLabel(number: number, names: readonly string[]): string {
  return names.length ? names.map(shortFeatureName).join('/') : `unnamed ${wordBit(number)}`;
}

/** An extable fixup type as a header names it: `EX_TYPE_COPY`, aliases joined with `/`, or `type 4`. */
export function extableTypeLabel(type: number, names: readonly string[]): string {
  return names.length ? names.join('/') : `type ${type}`;
}
