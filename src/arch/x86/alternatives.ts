import { InputError, hex } from '../../errors.js';
import type { ElfFile } from '../../elf/index.js';
import type { CpuFeatures } from './cpufeatures.js';
import { inferEntrySize } from './entries.js';
import { RelocatedSection, type FieldRelocation, type Site } from '../sites.js';

/**
 * `.altinstructions` of a relocatable object: one `struct alt_instr` per patch site.
 *
 *   12 bytes (≤ v6.2):  s32 instr_offset; s32 repl_offset; u16 cpuid; u8 instrlen; u8 replacementlen;
 *                       cpuid bit 15 is ALTINSTR_FLAG_INV (ALT_NOT: patch when the feature is absent)
 *   14 bytes (≥ v6.3):  s32 instr_offset; s32 repl_offset; u32 ft_flags; u8 instrlen; u8 replacementlen;
 *                       feature in bits 0-15, flags in 16-31: ALT_FLAG_NOT (1 << 0),
 *                       ALT_FLAG_DIRECT_CALL (1 << 1, v6.8 da0fe6e68e10)
 *
 * (arch/x86/include/asm/alternative.h of 6.1.170 and 6.12.117.) The object records feature
 * numbers only; what a number means is a question for a cpufeatures.h.
 */

export type AltEntrySize = 12 | 14;

export interface AltEntry {
  readonly index: number;
  /** Offset of the entry in `.altinstructions`. */
  readonly offset: number;
  /** The patch site (instr_offset's target). */
  readonly site: Site;
  readonly siteRelocation: FieldRelocation;
  /** The replacement (repl_offset's target), usually in `.altinstr_replacement`; undefined when it is an external symbol. */
  readonly replacement: Site | undefined;
  readonly replacementRelocation: FieldRelocation;
  /** The X86_FEATURE_/X86_BUG_ number: cpuid & 0x7fff (12 bytes), ft_flags & 0xffff (14 bytes). */
  readonly feature: number;
  /** The raw cpuid (u16) or ft_flags (u32) field. */
  readonly raw: number;
  /** The flag bits: bit 15 of cpuid for 12-byte entries, ft_flags >> 16 for 14-byte ones. */
  readonly flags: number;
  /** NOT (patch when the feature is absent), DIRECT_CALL, or `bit<n>` for flags this reader does not know. */
  readonly flagNames: readonly string[];
  readonly instrlen: number;
  readonly replacementlen: number;
}

export interface Alternatives {
  readonly file: string;
  readonly section: string;
  /** undefined when the object has no (or an empty) `.altinstructions` and none was given. */
  readonly entrySize: AltEntrySize | undefined;
  readonly entries: readonly AltEntry[];
}

const FLAG_NAMES_14: Record<number, string> = { 0: 'NOT', 1: 'DIRECT_CALL' };
const INV_12 = 1 << 15;

/**
 * Decode `.altinstructions`. `entrySize` is the object's layout (inferred from its
 * relocations when omitted); an object without the section has no alternatives.
 */
export function decodeAlternatives(elf: ElfFile, entrySize?: AltEntrySize): Alternatives {
  const size = entrySize ?? inferAltEntrySize(elf);
  const sec = RelocatedSection.open(elf, '.altinstructions');
  if (!sec || size === undefined) return { file: elf.name, section: '.altinstructions', entrySize: size, entries: [] };
  const count = sec.entryCount(size);
  const entries: AltEntry[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * size;
    const instrlen = sec.u8(o + size - 2);
    const replacementlen = sec.u8(o + size - 1);
    const instr = sec.target(o, `entry ${i} instr_offset`, instrlen);
    const repl = sec.target(o + 4, `entry ${i} repl_offset`, replacementlen);
    if (instr.kind !== 'site') {
      throw new InputError(elf.name, `.altinstructions+${hex(o)}: entry ${i} instr_offset points to external symbol ${instr.symbol}, not into the object`);
    }
    let raw: number;
    let feature: number;
    let flags: number;
    const flagNames: string[] = [];
    if (size === 12) {
      raw = sec.u16(o + 8);
      feature = raw & ~INV_12 & 0xffff;
      flags = raw & INV_12 ? 1 : 0;
      if (flags) flagNames.push('NOT');
    } else {
      raw = sec.u32(o + 8);
      feature = raw & 0xffff;
      flags = raw >>> 16;
      for (let b = 0; b < 16; b++) if (flags & (1 << b)) flagNames.push(FLAG_NAMES_14[b] ?? `bit${b}`);
    }
    entries.push({
      index: i,
      offset: o,
      site: instr.site,
      siteRelocation: instr.relocation,
      replacement: repl.kind === 'site' ? repl.site : undefined,
      replacementRelocation: repl.relocation,
      feature,
      raw,
      flags,
      flagNames,
      instrlen,
      replacementlen,
    });
  }
  return { file: elf.name, section: '.altinstructions', entrySize: size, entries };
}

/** 12 or 14, from the section's size and relocations; undefined without entries; InputError when they show neither. */
export function inferAltEntrySize(elf: ElfFile): AltEntrySize | undefined {
  const r = inferEntrySize(elf, '.altinstructions', 2);
  if (!r || r.entries === 0) return undefined;
  if (r.entrySize === 12 || r.entrySize === 14) return r.entrySize;
  throw new InputError(
    elf.name,
    `.altinstructions: entries are neither 12 nor 14 bytes (${r.problem ?? `${r.entrySize}-byte entries: ${r.size} bytes, ${r.relocations} relocations`})`,
  );
}

export type FeatureChange =
  /** The new kernel gives the number a name the old one also gave it. */
  | 'same'
  /** The new kernel's names for the number are all different from the old ones. */
  | 'different'
  /** The new kernel has no name for the number. */
  | 'gone'
  /** The old kernel had no name for the number. */
  | 'unknown';

export interface FeatureMeaning {
  readonly entry: AltEntry;
  readonly feature: number;
  /** Names of the number in the kernel the object was built for. */
  readonly compiledAs: readonly string[];
  /** Names of the same number in the new kernel. */
  readonly nowMeans: readonly string[];
  readonly change: FeatureChange;
  /** Where the new kernel numbers the names the object meant (e.g. CLEAR_CPU_BUF 370 → 114). */
  readonly movedTo: ReadonlyMap<string, number>;
}

/**
 * What each entry's feature number meant when the object was compiled (`old`, the
 * cpufeatures.h of that kernel) and what the same number means in the new kernel.
 */
export function featureMeanings(entries: readonly AltEntry[], old: CpuFeatures, next: CpuFeatures): FeatureMeaning[] {
  return entries.map((entry) => {
    const compiledAs = old.names(entry.feature);
    const nowMeans = next.names(entry.feature);
    const movedTo = new Map<string, number>();
    for (const name of compiledAs) {
      const n = next.number(name);
      if (n !== undefined && n !== entry.feature) movedTo.set(name, n);
    }
    const change: FeatureChange =
      compiledAs.length === 0 ? 'unknown' : nowMeans.length === 0 ? 'gone' : compiledAs.some((n) => nowMeans.includes(n)) ? 'same' : 'different';
    return { entry, feature: entry.feature, compiledAs, nowMeans, change, movedTo };
  });
}
