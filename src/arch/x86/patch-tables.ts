import { InputError, hex } from '../../errors.js';
import type { ElfFile } from '../../elf/file.js';
import { absolute, inFile, patchSitesOf, relative, type Decoder, type PatchTable, type PatchTableEntry } from '../patch-tables.js';

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

/** The patch tables of an x86-64 vmlinux (arch/x86/kernel/vmlinux.lds.S), in the order they are listed. */
const TABLES: readonly PatchTable[] = [
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

/** The entries of the x86-64 tables the linked file has whose address `wanted` accepts. */
export function x86PatchSites(linked: ElfFile, wanted: (address: bigint) => boolean): { tables: string[]; sites: PatchTableEntry[] } {
  return patchSitesOf(linked, TABLES, wanted);
}
