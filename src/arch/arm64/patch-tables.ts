import { InputError, hex } from '../../errors.js';
import type { ElfFile } from '../../elf/file.js';
import { absolute, inFile, patchSitesOf, relative, type Decoder, type PatchTable, type PatchTableEntry } from '../patch-tables.js';
import { ARM64_ALT_ENTRY_SIZE } from './alternatives.js';
import type { Cpucaps } from './cpucaps.js';

const CB_BIT = 1 << 15;

/**
 * A linked `.altinstructions`: struct alt_instr as in an object (alternatives.ts), its
 * offsets resolved by the link. Every entry's replacement (or callback) must lie in the
 * linked file, and a replacement must not be longer than what it replaces.
 */
function alternatives(linked: ElfFile, capabilities: Cpucaps | undefined): Decoder {
  const capability = (n: number) => `capability ${n}${capabilities?.names(n).length ? ` (${capabilities.names(n).join(', ')})` : ''}`;
  return (b, base) => {
    if (b.length % ARM64_ALT_ENTRY_SIZE !== 0) throw new InputError(linked.name, `.altinstructions (${b.length} bytes at ${hex(base)}) is not a table of ${ARM64_ALT_ENTRY_SIZE}-byte alt_instr entries`);
    const out: { address: bigint; writes: string }[] = [];
    for (let o = 0; o < b.length; o += ARM64_ALT_ENTRY_SIZE) {
      const raw = b.readUInt16LE(o + 8);
      const origLen = b[o + 10]!;
      const altLen = b[o + 11]!;
      const replacement = BigInt.asUintN(64, base + BigInt(o + 4) + BigInt(b.readInt32LE(o + 4)));
      const callback = (raw & CB_BIT) !== 0;
      if (!inFile(linked, replacement) || (!callback && altLen > origLen)) {
        throw new InputError(linked.name, `.altinstructions entry at ${hex(base + BigInt(o))}: its ${callback ? 'callback' : 'replacement'} at ${hex(replacement)} is not in the file, or longer than what it replaces`);
      }
      out.push({
        address: BigInt.asUintN(64, base + BigInt(o) + BigInt(b.readInt32LE(o))),
        writes: callback
          ? `${origLen} bytes: rewritten at boot by a callback (alternative_cb)${raw & ~CB_BIT ? ` when the CPU has ${capability(raw & ~CB_BIT)}` : ''}`
          : `${origLen} bytes: replaced by a ${altLen}-byte alternative when the CPU has ${capability(raw)}`,
      });
    }
    return out;
  };
}

/**
 * The patch tables of an arm64 vmlinux (arch/arm64/kernel/vmlinux.lds.S,
 * include/asm-generic/vmlinux.lds.h); capability numbers named from the build's generated
 * cpucaps header when there is one.
 */
const tables = (capabilities: Cpucaps | undefined): readonly PatchTable[] => [
  { table: '.altinstructions', start: '__alt_instructions', end: '__alt_instructions_end', decode: (linked) => alternatives(linked, capabilities) },
  // struct jump_entry { s32 code; s32 target; long key; } (arm64 has relative jump labels).
  { table: '__jump_table', start: '__start___jump_table', end: '__stop___jump_table', decode: () => relative(16, 'a nop or a b (4 bytes), flipped when its static key changes') },
  {
    table: '__mcount_loc',
    start: '__start_mcount_loc',
    end: '__stop_mcount_loc',
    decode: () => absolute(8, () => 'the patchable NOPs at the function entry (-fpatchable-function-entry): NOPs at boot, a branch to an ftrace trampoline while the function is traced'),
  },
];

/** The entries of the arm64 tables the linked file has whose address `wanted` accepts. */
export function arm64PatchSites(linked: ElfFile, wanted: (address: bigint) => boolean, capabilities?: Cpucaps): { tables: string[]; sites: PatchTableEntry[] } {
  return patchSitesOf(linked, tables(capabilities), wanted);
}
