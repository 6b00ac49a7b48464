import type { Architecture } from '../facts/architecture.js';
import type { EntryPad } from '../facts/object-conventions.js';
import { arm64EntryPad, arm64KcfiTypeHash, arm64PaddingBefore } from './arm64/instructions.js';
import { x86EntryPad, x86KcfiTypeHash, x86PaddingBefore } from './x86/instructions.js';

/**
 * What sits at and before a function's entry, for any architecture relinkable models: the
 * dispatch to src/arch/x86 and src/arch/arm64. An architecture it does not model has no
 * landing pads, padding or kCFI hashes it could recognise.
 */

export function entryPad(arch: Architecture | 'other', code: Buffer, offset: number, le: boolean): EntryPad {
  if (arch === 'x86_64' || arch === 'i386') return x86EntryPad(code, offset);
  if (arch === 'aarch64') return arm64EntryPad(code, offset, le);
  return 'none';
}

/** Padding bytes (NOPs) immediately before a function's entry, up to 64. */
export function paddingBefore(arch: Architecture | 'other', code: Buffer, offset: number, le: boolean): number {
  if (arch === 'x86_64' || arch === 'i386') return x86PaddingBefore(code, offset);
  if (arch === 'aarch64') return arm64PaddingBefore(code, offset, le);
  return 0;
}

/** The kCFI type hash of a function with a __cfi_ preamble at `preambleOffset`. */
export function kcfiTypeHash(arch: Architecture | 'other', code: Buffer, functionOffset: number, preambleOffset: number, le: boolean): string | undefined {
  if (arch === 'x86_64' || arch === 'i386') return x86KcfiTypeHash(code, functionOffset, preambleOffset);
  if (arch === 'aarch64') return arm64KcfiTypeHash(code, functionOffset, le);
  return undefined;
}
