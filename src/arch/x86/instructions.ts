import { hex } from '../../errors.js';

/**
 * The few x86 instruction encodings the object reader looks for in an object's code: landing
 * pads, NOP padding before a function, the kCFI preamble's type hash, branch displacements
 * and reads of the fixed stack-canary slot. No general decoder: each reads known bytes at a
 * known place.
 */

/** The landing pad at a function's entry: ENDBR64 (f3 0f 1e fa) or ENDBR32 (f3 0f 1e fb). */
export function x86EntryPad(code: Buffer, offset: number): 'endbr64' | 'endbr32' | 'none' {
  if (offset + 4 > code.length) return 'none';
  if (code[offset] === 0xf3 && code[offset + 1] === 0x0f && code[offset + 2] === 0x1e) {
    if (code[offset + 3] === 0xfa) return 'endbr64';
    if (code[offset + 3] === 0xfb) return 'endbr32';
  }
  return 'none';
}

/** One-byte NOPs (0x90) immediately before `offset`, up to 64. */
export function x86PaddingBefore(code: Buffer, offset: number): number {
  if (offset > code.length) return 0;
  let n = 0;
  while (n < 64 && offset - n - 1 >= 0 && code[offset - n - 1] === 0x90) n++;
  return n;
}

/**
 * kCFI: the type hash of a function's __cfi_ preamble, `mov $hash, %eax` (b8 imm32) ending
 * right at the function (after the preamble's padding), else at the preamble's start.
 */
export function x86KcfiTypeHash(code: Buffer, functionOffset: number, preambleOffset: number): string | undefined {
  const at = functionOffset - 5;
  if (at >= 0 && functionOffset <= code.length && code[at] === 0xb8) return hex(code.readUInt32LE(at + 1) >>> 0);
  if (preambleOffset >= 0 && preambleOffset + 5 <= code.length && code[preambleOffset] === 0xb8) return hex(code.readUInt32LE(preambleOffset + 1) >>> 0);
  return undefined;
}

/** Whether the 4-byte field at `offset` is the displacement of a call, jmp or jcc rel32. */
export function isBranchField(code: Buffer | undefined, offset: number): boolean {
  if (!code || offset < 1) return false;
  const op = code[offset - 1]!;
  if (op === 0xe8 || op === 0xe9) return true;
  return offset >= 2 && code[offset - 2] === 0x0f && (op & 0xf0) === 0x80;
}

/**
 * x86-64 `op %gs:0x28, reg` with a 32-bit absolute displacement and no relocation: a read
 * of the stack canary at its fixed slot (fixed_percpu_data, up to v6.14).
 */
export function countFixedCanaryReads(code: Buffer, relocated: ReadonlySet<number>): number {
  let n = 0;
  for (let i = code.indexOf(0x65); i >= 0 && i + 9 <= code.length; i = code.indexOf(0x65, i + 1)) {
    const rex = code[i + 1]!;
    if ((rex & 0xf0) !== 0x40) continue;
    const op = code[i + 2]!;
    if (op !== 0x8b && op !== 0x2b && op !== 0x33 && op !== 0x3b && op !== 0x39) continue;
    const modrm = code[i + 3]!;
    if ((modrm & 0xc7) !== 0x04 || code[i + 4] !== 0x25) continue;
    if (code.readInt32LE(i + 5) !== 0x28 || relocated.has(i + 5)) continue;
    n++;
  }
  return n;
}
