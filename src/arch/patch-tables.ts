import { InputError, hex } from '../errors.js';
import { linkedBytesAt } from '../elf/boot-relocations.js';
import { SHF_ALLOC, SHN_LORESERVE, SHN_UNDEF, SHT_NOBITS } from '../elf/constants.js';
import type { ElfFile } from '../elf/file.js';

/**
 * The tables of a linked vmlinux that list the places the kernel rewrites in its own code at
 * boot or at run time, each found between the symbols the linker script brackets it with
 * (include/asm-generic/vmlinux.lds.h, arch/<arch>/kernel/vmlinux.lds.S). Every entry gives
 * one code address; what may be written there is the table's. The tables themselves are
 * each architecture's (arch/x86/patch-tables.ts, arch/arm64/patch-tables.ts).
 */

export interface PatchTableEntry {
  readonly table: string;
  readonly address: bigint;
  readonly writes: string;
}

export type Decoder = (entries: Buffer, base: bigint) => { address: bigint; writes: string }[];

export interface PatchTable {
  readonly table: string;
  readonly start: string;
  readonly end: string;
  readonly decode: (linked: ElfFile) => Decoder;
}

/** s32 fields relative to their own address, `size` bytes apart: the kernel reads `&field + field`. */
export function relative(size: number, writes: string | ((b: Buffer, o: number) => string)): Decoder {
  return (b, base) => {
    const out: { address: bigint; writes: string }[] = [];
    for (let o = 0; o + size <= b.length; o += size) {
      out.push({ address: BigInt.asUintN(64, base + BigInt(o) + BigInt(b.readInt32LE(o))), writes: typeof writes === 'string' ? writes : writes(b, o) });
    }
    return out;
  };
}

/** Absolute 64-bit addresses, `size` bytes apart (the address first). */
export function absolute(size: number, writes: (b: Buffer, o: number) => string): Decoder {
  return (b) => {
    const out: { address: bigint; writes: string }[] = [];
    for (let o = 0; o + size <= b.length; o += size) out.push({ address: b.readBigUInt64LE(o), writes: writes(b, o) });
    return out;
  };
}

/** Whether `address` lies in an allocated section of the linked file. */
export function inFile(linked: ElfFile, address: bigint): boolean {
  return linked.sections.some((s) => (s.flags & SHF_ALLOC) !== 0 && address >= s.addr && address < s.addr + BigInt(s.size));
}

/** The address of a symbol the linked file defines, global or local (a linker-script symbol). */
export function symbolAddress(linked: ElfFile, name: string): bigint | undefined {
  const s = [...linked.symbolsNamed(name), ...linked.localSymbolsNamed(name)].find((x) => x.shndx !== SHN_UNDEF && x.shndx < SHN_LORESERVE);
  return s?.value;
}

/** The bytes at [start, end) of a linked executable, as they are once its boot relocations are written. */
export function readRange(linked: ElfFile, start: bigint, end: bigint, what: string): Buffer {
  if (end === start) return Buffer.alloc(0);
  const s = linked.sections.find((x) => (x.flags & SHF_ALLOC) !== 0 && x.type !== SHT_NOBITS && start >= x.addr && end <= x.addr + BigInt(x.size));
  if (!s) throw new InputError(linked.name, `${what} (${hex(start)}..${hex(end)}) lies in no section with contents`);
  return linkedBytesAt(linked, s, start, Number(end - start), what);
}

/**
 * The entries of each of `tables` the linked file has whose address `wanted` accepts: only the
 * tables are read (a few hundred KB of a 50 MB vmlinux), in their order.
 */
export function patchSitesOf(linked: ElfFile, tables: readonly PatchTable[], wanted: (address: bigint) => boolean): { tables: string[]; sites: PatchTableEntry[] } {
  const found: string[] = [];
  const sites: PatchTableEntry[] = [];
  for (const t of tables) {
    const start = symbolAddress(linked, t.start);
    const end = symbolAddress(linked, t.end);
    if (start === undefined || end === undefined) continue;
    if (end < start) throw new InputError(linked.name, `${t.end} (${hex(end)}) lies before ${t.start} (${hex(start)})`);
    found.push(t.table);
    for (const e of t.decode(linked)(readRange(linked, start, end, t.table), start)) {
      if (wanted(e.address)) sites.push({ table: t.table, address: e.address, writes: e.writes });
    }
  }
  return { tables: found, sites };
}
