import { hex } from '../errors.js';
import { SHF_ALLOC, SHT_RELA } from './constants.js';
import type { ElfFile } from './file.js';
import type { ElfSection } from './table.js';
import { relocationTypeName } from './relocations.js';

/** The dynamic relocation types a self-relocating kernel applies: the place gets the addend (plus the load offset). */
const RELATIVE = new Set(['R_AARCH64_RELATIVE', 'R_X86_64_RELATIVE']);

export interface BootRelocation {
  readonly address: bigint;
  readonly type: string;
  readonly addend: bigint;
}

/**
 * The relocations a position-independent vmlinux applies to itself at boot. An arm64 kernel
 * with CONFIG_RELOCATABLE is linked `-shared -Bsymbolic --no-apply-dynamic-relocs`
 * (arch/arm64/Makefile): a field holding an absolute address is 0 in the file, and its value
 * is the addend of an R_AARCH64_RELATIVE entry of the allocated `.rela.dyn`, which the
 * kernel writes there before it runs (arch/arm64/kernel/pi/relocate.c), plus the KASLR
 * offset. `applied` gives a linked file's bytes as they are once those are written, the
 * offset left out as for every other address of the link-time view. An x86 vmlinux is
 * ET_EXEC with its fields written by ld: it has none.
 */
export class BootRelocations {
  private constructor(
    /** Sorted by address. */
    private readonly entries: readonly BootRelocation[],
    private readonly littleEndian: boolean,
  ) {}

  private static readonly cache = new WeakMap<ElfFile, BootRelocations | null>();

  /** The linked file's boot relocations; undefined for a .ko or a file without allocated RELA tables. */
  static of(linked: ElfFile): BootRelocations | undefined {
    const cached = BootRelocations.cache.get(linked);
    if (cached !== undefined) return cached ?? undefined;
    const found = BootRelocations.read(linked);
    BootRelocations.cache.set(linked, found ?? null);
    return found;
  }

  private static read(linked: ElfFile): BootRelocations | undefined {
    if (linked.isRelocatable || !linked.header.is64) return undefined;
    const tables = linked.sections.filter((s) => s.type === SHT_RELA && (s.flags & SHF_ALLOC) !== 0 && s.info === 0);
    if (tables.length === 0) return undefined;
    const entries: BootRelocation[] = [];
    for (const section of tables) {
      const table = linked.relocations(section);
      for (let i = 0; i < table.count; i++) {
        const type = relocationTypeName(linked.header.machine, table.typeAt(i));
        if (RELATIVE.has(type)) entries.push({ address: table.offsetAt(i), type, addend: table.addendAt(i)! });
      }
    }
    if (entries.length === 0) return undefined;
    entries.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
    return new BootRelocations(entries, linked.header.littleEndian);
  }

  /** The entries whose 8-byte place begins in [start, end). */
  within(start: bigint, end: bigint): BootRelocation[] {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid]!.address < start) lo = mid + 1;
      else hi = mid;
    }
    const out: BootRelocation[] = [];
    for (let i = lo; i < this.entries.length && this.entries[i]!.address < end; i++) out.push(this.entries[i]!);
    return out;
  }

  /** `bytes`, the linked file's at `address`, with each place inside written as at boot (a copy when one is). */
  applied(bytes: Buffer, address: bigint): Buffer {
    const inside = this.within(address, address + BigInt(bytes.length)).filter((r) => r.address + 8n <= address + BigInt(bytes.length));
    if (inside.length === 0) return bytes;
    const out = Buffer.from(bytes);
    for (const r of inside) {
      const at = Number(r.address - address);
      const value = BigInt.asUintN(64, r.addend);
      if (this.littleEndian) out.writeBigUInt64LE(value, at);
      else out.writeBigUInt64BE(value, at);
    }
    return out;
  }

  /** How an entry reads in evidence. */
  static describe(r: BootRelocation): string {
    return `${r.type} ${hex(BigInt.asUintN(64, r.addend))}`;
  }
}

/**
 * `length` bytes of a linked executable's allocated section `section`, from `address`, as
 * the kernel holds them once its boot relocations are written: what every comparison with
 * the linked bytes reads.
 */
export function linkedBytesAt(linked: ElfFile, section: ElfSection, address: bigint, length: number, what: string): Buffer {
  const raw = linked.source.read(section.offset + Number(address - section.addr), length, what);
  return BootRelocations.of(linked)?.applied(raw, address) ?? raw;
}
