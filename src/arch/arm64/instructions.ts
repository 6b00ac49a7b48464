import { hex } from '../../errors.js';

/**
 * The few AArch64 instruction words the object reader looks for: BTI landing pads and
 * pointer-authentication entries, NOP padding before a function (patchable function
 * entries), and the kCFI type hash word before a function.
 */

const BTI_C = 0xd503245f;
const BTI_J = 0xd503249f;
const BTI_JC = 0xd50324df;
const PACIASP = 0xd503233f;
const PACIBSP = 0xd503237f;
const NOP = 0xd503201f;

/** The instruction word at `offset`, or undefined when it does not lie inside `code` (a symbol value is input). */
function word(code: Buffer, offset: number, le: boolean): number | undefined {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + 4 > code.length) return undefined;
  return le ? code.readUInt32LE(offset) : code.readUInt32BE(offset);
}

/** The landing pad at a function's entry: BTI c/j/jc, or PACIASP/PACIBSP (which are BTI c landing pads too). */
export function arm64EntryPad(code: Buffer, offset: number, le: boolean): 'bti-c' | 'bti-j' | 'bti-jc' | 'paciasp' | 'pacibsp' | 'none' {
  switch (word(code, offset, le)) {
    case BTI_C:
      return 'bti-c';
    case BTI_J:
      return 'bti-j';
    case BTI_JC:
      return 'bti-jc';
    case PACIASP:
      return 'paciasp';
    case PACIBSP:
      return 'pacibsp';
    default:
      return 'none';
  }
}

/** Bytes of NOP words immediately before `offset`, up to 64 (none when `offset` lies outside the code). */
export function arm64PaddingBefore(code: Buffer, offset: number, le: boolean): number {
  if (offset > code.length) return 0;
  let n = 0;
  while (n < 64 && word(code, offset - n - 4, le) === NOP) n += 4;
  return n;
}

/** kCFI: the type hash is the word right before the function. */
export function arm64KcfiTypeHash(code: Buffer, functionOffset: number, le: boolean): string | undefined {
  if (functionOffset > code.length) return undefined;
  const w = word(code, functionOffset - 4, le);
  return w === undefined ? undefined : hex(w);
}
