import type { ElfFile } from '../elf/index.js';
import { SHF_EXECINSTR } from '../elf/constants.js';
import { InputError, hex } from '../errors.js';
import { LIMITS } from '../limits.js';
import type { SystemMapEntry } from './system-map.js';

/**
 * The symbol table a stripped vmlinux still carries for the kernel's own use: kallsyms
 * (scripts/kallsyms.c writes it into .rodata; kernel/kallsyms.c reads it). A vmlinux out of
 * a vmlinuz has no .symtab, and Debian's image packages ship a placeholder System.map, so
 * this is where a light kernel's symbols come from: every symbol with its nm type letter and
 * address (CONFIG_KALLSYMS_ALL: data too), no sizes.
 *
 * The tables carry no symbols of their own, so they are found by their shape:
 *  - kallsyms_token_table: 256 NUL-terminated tokens, followed (8-aligned) by
 *    kallsyms_token_index: 256 u16 offsets of each token in the table (0 first, increasing,
 *    each the previous one plus its token's length and NUL);
 *  - kallsyms_relative_base: a u64 equal to the start of the kernel's text;
 *  - kallsyms_offsets: num_syms s32, ending (8-aligned) at relative_base;
 *  - kallsyms_num_syms: a u32, 8-aligned, followed 8 bytes on by kallsyms_names: per symbol
 *    a length (one byte, or two when the first has bit 7: the low 7 bits then the next byte
 *    shifted by 7) and that many token indexes; expanded, the first character is the type;
 *  - kallsyms_markers: one u32 per 256 names, their offset in kallsyms_names.
 * Two orders occur: offsets, relative_base, num_syms, names, markers, [seqs_of_names,]
 * token_table, token_index (Debian 6.1.170), and num_syms, names, markers, token_table,
 * token_index, offsets, relative_base, seqs_of_names (6.12). Both are tried; what is decoded
 * must fit every table, or it is an InputError.
 *
 * Addresses (CONFIG_KALLSYMS_BASE_RELATIVE): relative_base + offset; with
 * CONFIG_KALLSYMS_ABSOLUTE_PERCPU a non-negative offset is an absolute (per-CPU) address and
 * a negative one is relative_base - 1 - offset. Absolute per-CPU is taken to be in effect
 * when any offset is negative (without it every offset is an unsigned distance from the
 * text, far below 2^31).
 */

export interface Kallsyms {
  readonly entries: readonly SystemMapEntry[];
  /** Where the tables were found, for evidence. */
  readonly tokenTable: bigint;
  readonly names: bigint;
  readonly relativeBase: bigint;
}

const align8 = (n: number) => (n + 7) & ~7;

/** vmlinux's kallsyms; undefined when it has none (no .rodata, or no token table in it: CONFIG_KALLSYMS off). */
export function readKallsyms(elf: ElfFile): Kallsyms | undefined {
  const file = elf.name;
  const rodata = elf.section('.rodata');
  if (!rodata || rodata.type === 8) return undefined;
  const ro = elf.source.read(rodata.offset, rodata.size, '.rodata (kallsyms)');
  const at = (off: number) => rodata.addr + BigInt(off);

  const tokens = findTokens(ro);
  if (!tokens) return undefined;
  const textStart = elf.sections.filter((s) => s.flags & SHF_EXECINSTR && s.addr !== 0n).reduce<bigint | undefined>((min, s) => (min === undefined || s.addr < min ? s.addr : min), undefined);
  if (textStart === undefined) throw new InputError(file, 'no executable section: not a linked vmlinux');

  const tried: string[] = [];
  for (let p = 0; p + 16 <= ro.length; p += 8) {
    if (ro.readBigUInt64LE(p) !== textStart) continue;
    // Debian 6.1.170's order: offsets, relative_base, num_syms, names, ...
    const n = ro.readUInt32LE(p + 8);
    if (n > 0 && n <= LIMITS.KALLSYMS_COUNT.value && p - align8(4 * n) >= 0) {
      const found = decode(ro, tokens, n, p + 16, p - align8(4 * n), p, textStart);
      if (found) return { entries: found, tokenTable: at(tokens.table), names: at(p + 16), relativeBase: textStart };
      tried.push(`relative_base at ${hex(at(p))} followed by ${n} symbols`);
    }
    // 6.12's order: ... token_table, token_index, offsets, relative_base.
    const offsets = align8(tokens.index + 512);
    if (p > offsets) {
      for (const count of [(p - offsets) >> 2, ((p - offsets) >> 2) - 1]) {
        if (count <= 0 || count > LIMITS.KALLSYMS_COUNT.value) continue;
        const numSyms = findNumSyms(ro, count, tokens.table);
        if (numSyms === undefined) continue;
        const found = decode(ro, tokens, count, numSyms + 8, offsets, p, textStart);
        if (found) return { entries: found, tokenTable: at(tokens.table), names: at(numSyms + 8), relativeBase: textStart };
        tried.push(`relative_base at ${hex(at(p))} after ${count} offsets`);
      }
    }
  }
  throw new InputError(
    file,
    `kallsyms token table at ${hex(at(tokens.table))}, but no kallsyms_names, kallsyms_offsets and kallsyms_relative_base (${hex(textStart)}) that fit it${tried.length ? ` (tried ${tried.slice(0, 3).join('; ')})` : ''}`,
  );
}

interface Tokens {
  /** Offsets in .rodata. */
  readonly table: number;
  readonly index: number;
  readonly strings: readonly string[];
  readonly bytes: readonly Buffer[];
}

/** kallsyms_token_index and the kallsyms_token_table just before it, by shape. */
function findTokens(ro: Buffer): Tokens | undefined {
  const idx = new Uint16Array(256);
  for (let x = 8; x + 512 <= ro.length; x += 8) {
    if (ro.readUInt16LE(x) !== 0) continue;
    let ok = true;
    let prev = 0;
    for (let i = 1; i < 256; i++) {
      const v = ro.readUInt16LE(x + 2 * i);
      if (v <= prev + 1 || v - prev > 256) {
        ok = false;
        break;
      }
      idx[i] = v;
      prev = v;
    }
    if (!ok) continue;
    // The table ends with the last token's NUL, padded to 8 bytes before the index.
    for (let t = x - align8(prev + 2); t >= 0 && t >= x - align8(prev + 2 + 256); t -= 8) {
      const strings = tokenStrings(ro, t, idx, x);
      if (strings) return { table: t, index: x, strings, bytes: strings.map((t) => Buffer.from(t, 'latin1')) };
    }
  }
  return undefined;
}

function tokenStrings(ro: Buffer, table: number, idx: Uint16Array, end: number): string[] | undefined {
  const out: string[] = [];
  for (let i = 0; i < 256; i++) {
    const start = table + idx[i]!;
    const stop = i < 255 ? table + idx[i + 1]! - 1 : ro.indexOf(0, start);
    if (stop < 0 || stop >= end || ro[stop] !== 0 || stop === start) return undefined;
    for (let b = start; b < stop; b++) if (ro[b] === 0 || ro[b]! >= 0x7f) return undefined;
    out.push(ro.toString('latin1', start, stop));
  }
  // Only padding between the last token and the index.
  const last = table + idx[255]! + out[255]!.length + 1;
  for (let b = last; b < end; b++) if (ro[b] !== 0) return undefined;
  return out;
}

/** kallsyms_num_syms in the 6.12 order: an 8-aligned u32 `count` (padded with zeros) before the token table. */
function findNumSyms(ro: Buffer, count: number, before: number): number | undefined {
  for (let p = before - 8; p >= 0; p -= 8) {
    if (ro.readUInt32LE(p) === count && ro.readUInt32LE(p + 4) === 0) return p;
  }
  return undefined;
}

/** The symbols, when `count` names from `names` decode and end where kallsyms_markers says; undefined when they do not fit. */
function decode(ro: Buffer, tokens: Tokens, count: number, names: number, offsets: number, relativeBase: number, base: bigint): SystemMapEntry[] | undefined {
  if (offsets < 0 || offsets + 4 * count > relativeBase) return undefined;
  const starts: number[] = [];
  const strings: string[] = [];
  // A kallsyms name is at most KSYM_NAME_LEN (512) bytes.
  const scratch = Buffer.alloc(4096);
  let p = names;
  for (let i = 0; i < count; i++) {
    if (p >= ro.length) return undefined;
    let len = ro[p]!;
    p++;
    if (len & 0x80) {
      if (p >= ro.length) return undefined;
      len = (len & 0x7f) | (ro[p]! << 7);
      p++;
    }
    if (len === 0 || p + len > ro.length) return undefined;
    starts.push(p);
    // Expanded into bytes and decoded once: concatenating 150,000 names token by token made ropes the GC then flattened.
    let n = 0;
    for (let k = 0; k < len; k++) {
      const token = tokens.bytes[ro[p + k]!]!;
      if (n + token.length > scratch.length) return undefined;
      scratch.set(token, n);
      n += token.length;
    }
    strings.push(scratch.toString('latin1', 0, n));
    p += len;
  }
  // kallsyms_markers follows: 0, then every 256th name's offset.
  const markers = align8(p);
  if (markers + 4 > ro.length || ro.readUInt32LE(markers) !== 0) return undefined;
  for (let m = 1; m * 256 < count; m++) {
    if (markers + 4 * m + 4 > ro.length) return undefined;
    const entry = names + ro.readUInt32LE(markers + 4 * m);
    if (entry >= ro.length || entry + (ro[entry]! & 0x80 ? 2 : 1) !== starts[m * 256]) return undefined;
  }
  let absolutePercpu = false;
  for (let i = 0; i < count && !absolutePercpu; i++) absolutePercpu = ro.readInt32LE(offsets + 4 * i) < 0;
  const out: SystemMapEntry[] = [];
  for (let i = 0; i < count; i++) {
    const off = ro.readInt32LE(offsets + 4 * i);
    const address = !absolutePercpu ? base + BigInt(off >>> 0) : off >= 0 ? BigInt(off) : base - 1n - BigInt(off);
    const s = strings[i]!;
    if (s.length < 2) return undefined;
    out.push({ address, type: s[0]!, name: s.slice(1), line: i + 1 });
  }
  return out;
}
