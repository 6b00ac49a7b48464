import { InputError, hex } from '../../errors.js';
import type { ElfFile } from '../../elf/index.js';
import { RelocatedSection, type Site } from '../sites.js';

/**
 * `.altinstructions` of an arm64 relocatable object: one `struct alt_instr` per patch site,
 * 12 bytes in 6.1 and 6.12 alike (arch/arm64/include/asm/alternative-macros.h):
 *
 *   s32 orig_offset; s32 alt_offset; u16 cpucap; u8 orig_len; u8 alt_len;
 *
 * Bit 15 of cpucap is ARM64_CB_BIT (alternative_cb: alt_offset points at a callback that
 * writes the instructions; v6.1 lets callbacks take a cap too), bits 0-14 the cpucap
 * number. The object records numbers only: their meaning is the generated cpucaps header's
 * (cpucaps.ts). The offsets are PREL32 fields, relocated as x86's are (RelocatedSection, arch/sites.ts).
 */

export const ARM64_ALT_ENTRY_SIZE = 12;
const CB_BIT = 1 << 15;

export interface Arm64AltEntry {
  readonly index: number;
  readonly site: Site;
  /** The cpucap number (cpucap & ~ARM64_CB_BIT). */
  readonly cap: number;
  /** CALLBACK when ARM64_CB_BIT is set. */
  readonly flagNames: readonly string[];
  readonly origLen: number;
  readonly altLen: number;
}

export function decodeArm64Alternatives(elf: ElfFile): Arm64AltEntry[] {
  const sec = RelocatedSection.open(elf, '.altinstructions');
  if (!sec) return [];
  const count = sec.entryCount(ARM64_ALT_ENTRY_SIZE);
  const entries: Arm64AltEntry[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * ARM64_ALT_ENTRY_SIZE;
    const raw = sec.u16(o + 8);
    const origLen = sec.u8(o + 10);
    const altLen = sec.u8(o + 11);
    const orig = sec.target(o, `entry ${i} orig_offset`, origLen);
    if (orig.kind !== 'site') {
      throw new InputError(elf.name, `.altinstructions+${hex(o)}: entry ${i} orig_offset points to external symbol ${orig.symbol}, not into the object`);
    }
    entries.push({ index: i, site: orig.site, cap: raw & ~CB_BIT, flagNames: raw & CB_BIT ? ['CALLBACK'] : [], origLen, altLen });
  }
  return entries;
}
