import { x86PatchSites } from '../arch/x86/patch-tables.js';
import { arm64PatchSites } from '../arch/arm64/patch-tables.js';
import type { Cpucaps } from '../arch/arm64/cpucaps.js';
import { EM_AARCH64, EM_X86_64 } from '../elf/constants.js';
import type { ElfFile } from '../elf/file.js';
import type { PatchSite } from '../facts/verify.js';
import { locator } from './compare.js';
import type { Placed } from './placement.js';
import { SymbolMap } from '../elf/symbol-map.js';
import type { ElfSymbol } from '../elf/symbols.js';

/** The most bytes of patchable NOPs a function may have before its symbol (arm64: -fpatchable-function-entry=4,2). */
const PATCHABLE_PREFIX = 8;

/**
 * The function whose patchable NOPs (-fpatchable-function-entry=N,M: arm64 ftrace) begin at
 * `offset`, before its symbol, and how many bytes before: where an ftrace entry that lies in
 * no function belongs.
 */
export function functionAfterPrefix(functions: SymbolMap, shndx: number, offset: number | bigint): { symbol: ElfSymbol; before: number } | undefined {
  for (let before = 4; before <= PATCHABLE_PREFIX; before += 4) {
    const symbol = functions.startingAt(shndx, BigInt(offset) + BigInt(before));
    if (symbol) return { symbol, before };
  }
  return undefined;
}

/**
 * The places inside the object's placed bytes that the kernel rewrites at boot or run time,
 * from the linked vmlinux's own patch tables (which the vmlinux link may have added to: with
 * IBT, objtool writes the tables for built-in code when it processes vmlinux.o). undefined
 * for a module (its tables are its own, applied by the loader) and for i386, whose tables are
 * not read. `capabilities` names arm64's cpucap numbers.
 */
export function patchSitesIn(frozen: ElfFile, linked: ElfFile, placed: ReadonlyMap<number, Placed>, capabilities: Cpucaps | undefined): { tables: string[]; sites: PatchSite[] } | undefined {
  const tablesOf =
    linked.header.machine === EM_X86_64
      ? x86PatchSites
      : linked.header.machine === EM_AARCH64
        ? (l: ElfFile, wanted: (address: bigint) => boolean) => arm64PatchSites(l, wanted, capabilities)
        : undefined;
  if (linked.isRelocatable || !tablesOf) return undefined;
  const ranges = [...placed.values()].filter((p) => p.frozen.size > 0).sort((a, b) => (a.address < b.address ? -1 : 1));
  const rangeOf = (address: bigint): Placed | undefined => ranges.find((p) => address >= p.address && address < p.address + BigInt(p.frozen.size));
  const inFunction = locator(frozen);
  const functions = SymbolMap.functions(frozen);
  // A site in no function may be the patchable NOPs before one: `name-0x8`.
  const within = (shndx: number, offset: number): string | undefined => {
    const named = inFunction(shndx, offset);
    if (named) return named;
    const next = functionAfterPrefix(functions, shndx, offset);
    return next && `${next.symbol.name}-0x${next.before.toString(16)}`;
  };
  const { tables, sites } = tablesOf(linked, (address) => rangeOf(address) !== undefined);
  return {
    tables,
    sites: sites.map((s) => {
      const p = rangeOf(s.address)!;
      const offset = Number(s.address - p.address);
      return { table: s.table, section: p.frozen.name, offset, address: s.address, within: within(p.frozen.index, offset), writes: s.writes };
    }),
  };
}
