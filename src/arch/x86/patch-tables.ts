import { InputError, hex } from '../../errors.js';
import { SHF_ALLOC, SHN_LORESERVE, SHN_UNDEF, SHT_NOBITS } from '../../elf/constants.js';
import type { ElfFile } from '../../elf/file.js';

/**
 * The tables of a linked x86-64 vmlinux that list the places the kernel rewrites in its own
 * code at boot or at run time, each found between the symbols the linker script brackets it
 * with (arch/x86/kernel/vmlinux.lds.S, include/asm-generic/vmlinux.lds.h). Every entry gives
 * one code address; what may be written there is the table's.
 */

export interface PatchTableEntry {
  readonly table: string;
  readonly address: bigint;
  readonly writes: string;
}

type Decoder = (entries: Buffer, base: bigint) => { address: bigint; writes: string }[];

/** s32 fields relative to their own address, `size` bytes apart: the kernel reads `&field + field`. */
function relative(size: number, writes: string): Decoder {
  return (b, base) => {
    const out: { address: bigint; writes: string }[] = [];
    for (let o = 0; o + size <= b.length; o += size) out.push({ address: BigInt.asUintN(64, base + BigInt(o) + BigInt(b.readInt32LE(o))), writes });
    return out;
  };
}

/** Absolute 64-bit addresses, `size` bytes apart (the address first). */
function absolute(size: number, writes: (b: Buffer, o: number) => string): Decoder {
  return (b) => {
    const out: { address: bigint; writes: string }[] = [];
    for (let o = 0; o + size <= b.length; o += size) out.push({ address: b.readBigUInt64LE(o), writes: writes(b, o) });
    return out;
  };
}

/**
 * struct alt_instr: s32 instr_offset, s32 repl_offset, the CPU feature (u16 cpuid until 6.2,
 * then u32 ft_flags: feature in the low 16 bits, flags above), u8 instrlen, u8
 * replacementlen — 12 or 14 bytes. The size is the one under which every entry is sane: its
 * replacement lies in the linked file and is no longer than the instructions it replaces.
 */
function alternatives(linked: ElfFile): Decoder {
  return (b, base) => {
    const size = [12, 14].find((s) => b.length % s === 0 && saneAlternatives(linked, b, base, s));
    if (size === undefined) throw new InputError(linked.name, `.altinstructions (${b.length} bytes at ${hex(base)}) is neither a table of 12- nor of 14-byte alt_instr entries`);
    const out: { address: bigint; writes: string }[] = [];
    for (let o = 0; o + size <= b.length; o += size) {
      const feature = size === 12 ? b.readUInt16LE(o + 8) : b.readUInt32LE(o + 8) & 0xffff;
      const flags = size === 12 ? 0 : b.readUInt32LE(o + 8) >>> 16;
      const instrlen = b[o + size - 2]!;
      const replacementlen = b[o + size - 1]!;
      out.push({
        address: BigInt.asUintN(64, base + BigInt(o) + BigInt(b.readInt32LE(o))),
        writes: `${instrlen} bytes: replaced by a ${replacementlen}-byte alternative (padded with nops) when the CPU ${flags & 1 ? 'lacks' : 'has'} feature ${feature >> 5}*32+${feature & 31}`,
      });
    }
    return out;
  };
}

function saneAlternatives(linked: ElfFile, b: Buffer, base: bigint, size: number): boolean {
  for (let o = 0; o + size <= b.length; o += size) {
    const replacement = BigInt.asUintN(64, base + BigInt(o + 4) + BigInt(b.readInt32LE(o + 4)));
    if (b[o + size - 1]! > b[o + size - 2]! || !inFile(linked, replacement)) return false;
  }
  return true;
}

function inFile(linked: ElfFile, address: bigint): boolean {
  return linked.sections.some((s) => (s.flags & SHF_ALLOC) !== 0 && address >= s.addr && address < s.addr + BigInt(s.size));
}

const TABLES: readonly { table: string; start: string; end: string; decode: (linked: ElfFile) => Decoder }[] = [
  { table: '.altinstructions', start: '__alt_instructions', end: '__alt_instructions_end', decode: alternatives },
  {
    table: '.retpoline_sites',
    start: '__retpoline_sites',
    end: '__retpoline_sites_end',
    decode: () => relative(4, 'the indirect call or jump through a retpoline thunk: rewritten to an inline indirect branch (or lfence; jmp) as the mitigation chosen at boot'),
  },
  {
    table: '.return_sites',
    start: '__return_sites',
    end: '__return_sites_end',
    decode: () => relative(4, 'the jmp to the return thunk: rewritten to ret; int3, or to another thunk, as the mitigation chosen at boot'),
  },
  { table: '.call_sites', start: '__call_sites', end: '__call_sites_end', decode: () => relative(4, "the call: redirected to the callee's call-depth accounting thunk when call depth tracking is on") },
  { table: '.ibt_endbr_seal', start: '__ibt_endbr_seal', end: '__ibt_endbr_seal_end', decode: () => relative(4, 'the endbr64: replaced by a 4-byte nop (sealed: no indirect branch may land there) under IBT') },
  { table: '.smp_locks', start: '__smp_locks', end: '__smp_locks_end', decode: () => relative(4, 'the lock prefix: replaced by a ds prefix when only one CPU runs') },
  { table: '__jump_table', start: '__start___jump_table', end: '__stop___jump_table', decode: () => relative(16, 'a 2- or 5-byte nop or jmp, flipped when its static key changes') },
  { table: '.static_call_sites', start: '__start_static_call_sites', end: '__stop_static_call_sites', decode: () => relative(8, 'the call to a static call trampoline: rewritten to call its current target') },
  {
    table: '__mcount_loc',
    start: '__start_mcount_loc',
    end: '__stop_mcount_loc',
    decode: () => absolute(8, () => 'the 5-byte call to __fentry__: a nop at boot, a call to an ftrace trampoline while the function is traced'),
  },
  {
    table: '.parainstructions',
    start: '__parainstructions',
    end: '__parainstructions_end',
    decode: () => absolute(16, (b, o) => `${b[o + 9]} bytes of paravirt call (type ${b[o + 8]}): replaced by the native instructions at boot`),
  },
];

function symbolAddress(linked: ElfFile, name: string): bigint | undefined {
  const s = [...linked.symbolsNamed(name), ...linked.localSymbolsNamed(name)].find((x) => x.shndx !== SHN_UNDEF && x.shndx < SHN_LORESERVE);
  return s?.value;
}

/** The bytes at [start, end) of a linked executable. */
function readRange(linked: ElfFile, start: bigint, end: bigint, what: string): Buffer {
  if (end === start) return Buffer.alloc(0);
  const s = linked.sections.find((x) => (x.flags & SHF_ALLOC) !== 0 && x.type !== SHT_NOBITS && start >= x.addr && end <= x.addr + BigInt(x.size));
  if (!s) throw new InputError(linked.name, `${what} (${hex(start)}..${hex(end)}) lies in no section with contents`);
  return linked.source.read(s.offset + Number(start - s.addr), Number(end - start), what);
}

/**
 * The entries of each table the linked file has whose address `wanted` accepts: only the
 * tables are read (a few hundred KB of a 50 MB vmlinux), in the order above.
 */
export function x86PatchSites(linked: ElfFile, wanted: (address: bigint) => boolean): { tables: string[]; sites: PatchTableEntry[] } {
  const tables: string[] = [];
  const sites: PatchTableEntry[] = [];
  for (const t of TABLES) {
    const start = symbolAddress(linked, t.start);
    const end = symbolAddress(linked, t.end);
    if (start === undefined || end === undefined) continue;
    if (end < start) throw new InputError(linked.name, `${t.end} (${hex(end)}) lies before ${t.start} (${hex(start)})`);
    tables.push(t.table);
    for (const e of t.decode(linked)(readRange(linked, start, end, t.table), start)) {
      if (wanted(e.address)) sites.push({ table: t.table, address: e.address, writes: e.writes });
    }
  }
  return { tables, sites };
}
