import { InputError, hex } from '../../errors.js';
import type { ElfFile, ElfSection } from '../../elf/index.js';
import { relocationTypeName } from '../../elf/index.js';
import { relocationWidth } from '../../elf/relocation-types.js';

/**
 * Entry sizes of the x86 special sections of a relocatable object, inferred from the
 * section size and the relocations that apply to it: each entry carries a fixed number of
 * relocations (one per address field), so entries = relocations / per-entry and entry size
 * = size / entries. An object compiled for another kernel shows its own layout this way,
 * whatever the new kernel's headers say.
 */

export interface EntryLayout {
  readonly size: number;
  /** The C layout, as in the kernel source. */
  readonly struct: string;
  /** Versions and upstream commits that bound this layout. */
  readonly versions: string;
}

export interface SpecialSection {
  readonly section: string;
  /** Relocations per entry (on `pairedWith` when set). */
  readonly relocationsPerEntry: number;
  /** A section without relocations whose entries pair one to one with this section's (`.orc_unwind` with `.orc_unwind_ip`). */
  readonly pairedWith?: string;
  readonly layouts: readonly EntryLayout[];
}

/**
 * The special sections x86-64 kernels emit, read from the kernel sources (6.1.170 and
 * 6.12.117 trees) and checked against Debian's modules (test/arch/x86/entries.test.ts).
 */
export const X86_SPECIAL_SECTIONS: readonly SpecialSection[] = [
  {
    section: '.altinstructions',
    relocationsPerEntry: 2,
    layouts: [
      { size: 12, struct: 'struct alt_instr { s32 instr_offset; s32 repl_offset; u16 cpuid; u8 instrlen; u8 replacementlen; } __packed', versions: '≤ v6.2 (6.1.y)' },
      { size: 14, struct: 'struct alt_instr { s32 instr_offset; s32 repl_offset; u32 ft_flags /* cpuid:16, flags:16 */; u8 instrlen; u8 replacementlen; } __packed', versions: '≥ v6.3 (5d1dd961e743 adds flags)' },
    ],
  },
  {
    // 12 bytes in both layouts; the relocation count tells them apart (extable.ts).
    section: '__ex_table',
    relocationsPerEntry: 2,
    layouts: [{ size: 12, struct: 'struct exception_table_entry { int insn, fixup, data; }', versions: '≥ v5.16 (46d28947d987; 3 relocations before: insn, fixup, handler)' }],
  },
  {
    section: '__bug_table',
    relocationsPerEntry: 2,
    layouts: [
      {
        size: 12,
        struct: 'struct bug_entry { signed int bug_addr_disp; signed int file_disp; unsigned short line; unsigned short flags; }',
        versions: 'x86-64 with GENERIC_BUG_RELATIVE_POINTERS and DEBUG_BUGVERBOSE; same 6.1 → 6.12',
      },
    ],
  },
  {
    section: '__jump_table',
    relocationsPerEntry: 3,
    layouts: [{ size: 16, struct: 'struct jump_entry { s32 code; s32 target; long key; }', versions: 'x86-64; same 6.1 → 6.12' }],
  },
  {
    section: '.static_call_sites',
    relocationsPerEntry: 2,
    layouts: [{ size: 8, struct: 'struct static_call_site { s32 addr; s32 key; }', versions: 'same 6.1 → 6.12' }],
  },
  {
    section: '.parainstructions',
    relocationsPerEntry: 1,
    layouts: [{ size: 16, struct: 'struct paravirt_patch_site { u8 *instr; u8 type; u8 len; }', versions: '≤ v6.7 (f7af6977621a removes it in v6.8)' }],
  },
  {
    section: '.orc_unwind_ip',
    relocationsPerEntry: 1,
    layouts: [{ size: 4, struct: 'int (PC-relative instruction address)', versions: 'all' }],
  },
  {
    section: '.orc_unwind',
    relocationsPerEntry: 1,
    pairedWith: '.orc_unwind_ip',
    layouts: [{ size: 6, struct: 'struct orc_entry { s16 sp_offset; s16 bp_offset; unsigned sp_reg:4, bp_reg:4, type:2|3, end:1|signal:1; } __packed', versions: 'all (bit fields change in v6.3/v6.4)' }],
  },
  { section: '.retpoline_sites', relocationsPerEntry: 1, layouts: [{ size: 4, struct: 's32', versions: '≥ v5.16' }] },
  { section: '.return_sites', relocationsPerEntry: 1, layouts: [{ size: 4, struct: 's32', versions: '≥ v5.19' }] },
  { section: '.call_sites', relocationsPerEntry: 1, layouts: [{ size: 4, struct: 's32', versions: '≥ v6.2 (call depth tracking)' }] },
  { section: '.ibt_endbr_seal', relocationsPerEntry: 1, layouts: [{ size: 4, struct: 's32', versions: '≥ v5.18 (IBT)' }] },
  { section: '__patchable_function_entries', relocationsPerEntry: 1, layouts: [{ size: 8, struct: 'void * (R_X86_64_64)', versions: 'with -fpatchable-function-entry' }] },
];

export function specialSection(name: string): SpecialSection | undefined {
  return X86_SPECIAL_SECTIONS.find((s) => s.section === name);
}

export interface EntrySize {
  readonly section: string;
  readonly sectionIndex: number;
  /** Section size in bytes. */
  readonly size: number;
  /** Relocations counted: those applying to the section, or to `relocationsFrom` for a paired section. */
  readonly relocations: number;
  readonly relocationsFrom: string;
  readonly relocationsPerEntry: number;
  /** size / entries; undefined when size and relocations disagree (see `problem`). */
  readonly entrySize: number | undefined;
  readonly entries: number | undefined;
  /** Why no entry size could be inferred. */
  readonly problem: string | undefined;
}

function relocationOffsets(elf: ElfFile, section: ElfSection): number[] {
  const out: number[] = [];
  for (const table of elf.relocationsFor(section)) {
    for (let i = 0; i < table.count; i++) {
      const offset = table.offsetAt(i);
      const width = relocationWidth(relocationTypeName(elf.header.machine, table.typeAt(i)));
      if (offset + BigInt(width) > BigInt(section.size)) {
        throw new InputError(elf.name, `relocation ${i} for ${section.name} at ${hex(offset)} lies outside the section (${hex(section.size)} bytes)`);
      }
      out.push(Number(offset));
    }
  }
  return out;
}

function requireRelocatable(elf: ElfFile, what: string): void {
  if (!elf.isRelocatable) throw new InputError(elf.name, `${what}: not a relocatable object (ET_REL); entry sizes are inferred from relocations`);
}

/**
 * Infer the entry size of `name` from its size and relocation count, given how many
 * relocations one entry carries. With `pairedWith`, the relocations of that section count
 * the entries (`.orc_unwind` has none; `.orc_unwind_ip` has one per entry). Undefined when
 * the object has no such section.
 */
export function inferEntrySize(elf: ElfFile, name: string, relocationsPerEntry: number, pairedWith?: string): EntrySize | undefined {
  if (!Number.isInteger(relocationsPerEntry) || relocationsPerEntry <= 0) throw new Error(`invalid relocations per entry: ${relocationsPerEntry}`);
  const section = elf.section(name);
  if (!section) return undefined;
  requireRelocatable(elf, name);
  const counted = pairedWith ? elf.section(pairedWith) : section;
  const base = { section: name, sectionIndex: section.index, size: section.size, relocationsFrom: pairedWith ?? name, relocationsPerEntry };
  if (!counted) {
    return { ...base, relocations: 0, entrySize: undefined, entries: undefined, problem: `${pairedWith} is missing, so ${name} has nothing to count its entries by` };
  }
  const offsets = relocationOffsets(elf, counted);
  const relocations = offsets.length;
  const fail = (problem: string): EntrySize => ({ ...base, relocations, entrySize: undefined, entries: undefined, problem });
  if (section.size === 0 && relocations === 0) return { ...base, relocations, entrySize: undefined, entries: 0, problem: 'empty section' };
  if (relocations === 0) return fail(`${hex(section.size)} bytes but no relocations${pairedWith ? ` in ${pairedWith}` : ''}`);
  if (relocations % relocationsPerEntry !== 0) {
    return fail(`${relocations} relocations is not a multiple of ${relocationsPerEntry} per entry`);
  }
  const entries = relocations / relocationsPerEntry;
  if (section.size % entries !== 0) {
    return fail(`size ${section.size} does not divide into ${entries} entries (${relocations} relocations, ${relocationsPerEntry} per entry)`);
  }
  const entrySize = section.size / entries;
  if (!pairedWith) {
    const problem = layoutProblem(offsets, entrySize, relocationsPerEntry);
    if (problem) return fail(`${entrySize}-byte entries do not fit the relocations: ${problem}`);
  }
  return { ...base, relocations, entrySize, entries, problem: undefined };
}

/** Every entry must carry its relocations at the same offsets within the entry. */
function layoutProblem(offsets: readonly number[], entrySize: number, perEntry: number): string | undefined {
  const byEntry = new Map<number, number[]>();
  for (const o of offsets) {
    const e = Math.floor(o / entrySize);
    const list = byEntry.get(e) ?? [];
    list.push(o - e * entrySize);
    byEntry.set(e, list);
  }
  let pattern: string | undefined;
  let first = 0;
  for (const [e, list] of [...byEntry].sort((a, b) => a[0] - b[0])) {
    if (list.length !== perEntry) return `entry ${e} carries ${list.length} relocations`;
    const p = list.sort((a, b) => a - b).join(',');
    if (pattern === undefined) {
      pattern = p;
      first = e;
    } else if (p !== pattern) return `entry ${e} has relocations at +${p}, entry ${first} at +${pattern}`;
  }
  return undefined;
}

/** inferEntrySize for every known x86 special section the object has. */
export function specialSectionSizes(elf: ElfFile): EntrySize[] {
  const out: EntrySize[] = [];
  for (const s of X86_SPECIAL_SECTIONS) {
    const r = inferEntrySize(elf, s.section, s.relocationsPerEntry, s.pairedWith);
    if (r) out.push(r);
  }
  return out;
}

export interface RelocationsPerEntry {
  readonly section: string;
  readonly size: number;
  readonly entrySize: number;
  readonly entries: number;
  readonly relocations: number;
  /** relocations / entries; undefined when it is not a whole number. */
  readonly relocationsPerEntry: number | undefined;
}

/**
 * The inverse, for sections whose entry size is fixed but whose relocation count changed
 * (`__ex_table`: 12 bytes, 3 relocations before v5.16, 2 after). A size that does not
 * divide by the entry size is malformed input.
 */
export function relocationsPerEntry(elf: ElfFile, name: string, entrySize: number): RelocationsPerEntry | undefined {
  if (!Number.isInteger(entrySize) || entrySize <= 0) throw new Error(`invalid entry size: ${entrySize}`);
  const section = elf.section(name);
  if (!section) return undefined;
  requireRelocatable(elf, name);
  if (section.size % entrySize !== 0) {
    throw new InputError(elf.name, `${name}: size ${hex(section.size)} is not a multiple of the ${entrySize}-byte entry`);
  }
  const entries = section.size / entrySize;
  const relocations = relocationOffsets(elf, section).length;
  const per = entries > 0 && relocations % entries === 0 ? relocations / entries : undefined;
  return { section: name, size: section.size, entrySize, entries, relocations, relocationsPerEntry: per };
}
