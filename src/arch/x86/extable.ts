import { readInputText } from '../../input-file.js';
import { InputError, hex } from '../../errors.js';
import type { ElfFile } from '../../elf/index.js';
import type { ExtableTypes } from '../../facts/x86-headers.js';
import { MacroTable, scanDefines } from './cmacros.js';
import { RelocatedSection, type FieldRelocation, type FieldTarget, type Site } from '../sites.js';

/**
 * `__ex_table` of a relocatable object: `struct exception_table_entry { int insn, fixup, data; }`
 * since v5.16 (46d28947d987), with the handler type in `data & EX_DATA_TYPE_MASK`, a register
 * in bits 8-11, flags in 12-15 and a signed immediate in 16-31
 * (arch/x86/include/asm/extable_fixup_types.h). Before v5.16 the third word was a
 * PC-relative pointer to an `ex_handler_*` function: same 12 bytes, three relocations.
 */

export const EXTABLE_ENTRY_SIZE = 12;

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Parse the `#define EX_TYPE_*` of an extable_fixup_types.h. */
export function parseExtableTypes(file: string, text: string): ExtableTypes {
  const defs = scanDefines(file, text);
  const table = new MacroTable(defs);
  const typeMask = table.has('EX_DATA_TYPE_MASK') ? table.evaluateNumber('EX_DATA_TYPE_MASK') : 0xff;
  const immMask = table.has('EX_DATA_IMM_MASK') ? table.evaluateNumber('EX_DATA_IMM_MASK') : 0;
  if (typeMask === undefined || typeMask <= 0 || typeMask > 0xffff) throw new InputError(file, 'EX_DATA_TYPE_MASK is not a usable mask');
  const types = new Map<number, string[]>();
  const composites = new Map<number, string[]>();
  const byName = new Map<string, number>();
  for (const d of defs) {
    if (d.params !== undefined || !/^EX_TYPE_\w+$/.test(d.name)) continue;
    if (/^\(?\s*(0[xX][0-9a-fA-F]+|\d+)\s*\)?$/.test(d.body)) {
      const v = Number(/(0[xX][0-9a-fA-F]+|\d+)/.exec(d.body)![1]);
      if (v > typeMask) throw new InputError(file, `line ${d.line}: ${d.name} ${v} does not fit EX_DATA_TYPE_MASK ${hex(typeMask)}`);
      push(types, v, d.name);
      byName.set(d.name, v);
      continue;
    }
    // EX_TYPE_EFAULT_REG uses -EFAULT, which this header does not define: left out.
    const v = table.evaluateNumber(d.body);
    if (v === undefined) continue;
    const value = v & (typeMask | (immMask ?? 0));
    push(composites, value >>> 0, d.name);
    byName.set(d.name, value >>> 0);
  }
  if (types.size === 0) throw new InputError(file, 'no EX_TYPE_ defines: not an extable_fixup_types.h');
  return { file, typeMask, immMask: (immMask ?? 0) >>> 0, types, composites, byName };
}

export function readExtableTypes(path: string): ExtableTypes {
  return parseExtableTypes(path, readInputText(path, 'extable_fixup_types.h', 'latin1'));
}

export interface ExtableEntry {
  readonly index: number;
  readonly offset: number;
  /** The faulting instruction. */
  readonly insn: Site;
  readonly fixup: Site | { readonly external: string; readonly addend: bigint };
  readonly insnRelocation: FieldRelocation;
  /** v5.16+: the data word; undefined in the old layout. */
  readonly data: number | undefined;
  /** data & EX_DATA_TYPE_MASK. */
  readonly type: number | undefined;
  /** data bits 8-11, 12-15, and the signed 16-bit immediate. */
  readonly reg: number | undefined;
  readonly flags: number | undefined;
  readonly imm: number | undefined;
  /** Old layout: the handler the third word points to. */
  readonly handler: string | undefined;
}

export interface Extable {
  readonly file: string;
  readonly section: string;
  /** 'data' since v5.16 (2 relocations per entry), 'handler' before (3). */
  readonly layout: 'data' | 'handler';
  readonly entries: readonly ExtableEntry[];
}

function where(t: FieldTarget): Site | { external: string; addend: bigint } {
  return t.kind === 'site' ? t.site : { external: t.symbol, addend: t.addend };
}

/** Decode `__ex_table`; the layout follows from whether entries carry a relocation at +8. */
export function decodeExtable(elf: ElfFile): Extable {
  const sec = RelocatedSection.open(elf, '__ex_table');
  if (!sec) return { file: elf.name, section: '__ex_table', layout: 'data', entries: [] };
  const count = sec.entryCount(EXTABLE_ENTRY_SIZE);
  const withHandler = count > 0 ? sec.relocation(8) !== undefined : false;
  const perEntry = withHandler ? 3 : 2;
  if (sec.relocationCount !== count * perEntry) {
    throw new InputError(
      elf.name,
      `__ex_table: ${sec.relocationCount} relocations for ${count} entries; expected ${perEntry} per entry (${withHandler ? 'insn, fixup, handler' : 'insn, fixup'})`,
    );
  }
  const entries: ExtableEntry[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * EXTABLE_ENTRY_SIZE;
    const insn = sec.target(o, `entry ${i} insn`);
    if (insn.kind !== 'site') throw new InputError(elf.name, `__ex_table+${hex(o)}: entry ${i} insn points to external symbol ${insn.symbol}`);
    const fixup = sec.target(o + 4, `entry ${i} fixup`);
    if (withHandler) {
      const h = sec.target(o + 8, `entry ${i} handler`);
      const handler = h.kind === 'site' ? (h.site.function ?? `${h.site.section}+${hex(h.site.offset)}`) : h.symbol;
      entries.push({ index: i, offset: o, insn: insn.site, fixup: where(fixup), insnRelocation: insn.relocation, data: undefined, type: undefined, reg: undefined, flags: undefined, imm: undefined, handler });
      continue;
    }
    if (sec.relocation(o + 8)) throw new InputError(elf.name, `__ex_table+${hex(o + 8)}: entry ${i} data carries a relocation, unlike entry 0`);
    const data = sec.s32(o + 8);
    entries.push({
      index: i,
      offset: o,
      insn: insn.site,
      fixup: where(fixup),
      insnRelocation: insn.relocation,
      data,
      type: data & 0xff,
      reg: (data >> 8) & 0xf,
      flags: (data >> 12) & 0xf,
      imm: data >> 16,
      handler: undefined,
    });
  }
  return { file: elf.name, section: '__ex_table', layout: withHandler ? 'handler' : 'data', entries };
}

/** The type's names in a header (`EX_TYPE_UACCESS`), or [] when it does not define it. */
export function extableTypeNames(entry: ExtableEntry, types: ExtableTypes): string[] {
  if (entry.data === undefined) return [];
  return [...(types.types.get(entry.data & types.typeMask) ?? [])];
}

/** The composite name matching type and immediate (`EX_TYPE_ZERO_REG`, `EX_TYPE_UCOPY_LEN4`), if any. */
export function extableCompositeNames(entry: ExtableEntry, types: ExtableTypes): string[] {
  if (entry.data === undefined) return [];
  return [...(types.composites.get((entry.data & (types.typeMask | types.immMask)) >>> 0) ?? [])];
}

export interface ExtableTypeUse {
  readonly type: number;
  readonly names: readonly string[];
  readonly count: number;
  /** The first entry using it (evidence). */
  readonly first: ExtableEntry;
}

/** Each type the table uses, with its names in `types` ([] when undefined there), ascending. */
export function extableTypesUsed(table: Extable, types: ExtableTypes): ExtableTypeUse[] {
  const byType = new Map<number, { count: number; first: ExtableEntry }>();
  for (const e of table.entries) {
    if (e.data === undefined) continue;
    const t = e.data & types.typeMask;
    const u = byType.get(t);
    if (u) u.count++;
    else byType.set(t, { count: 1, first: e });
  }
  return [...byType]
    .sort((a, b) => a[0] - b[0])
    .map(([type, u]) => ({ type, names: types.types.get(type) ?? [], count: u.count, first: u.first }));
}

/** Entries whose type the (new) kernel's header does not define. */
export function undefinedExtableTypes(table: Extable, types: ExtableTypes): ExtableEntry[] {
  return table.entries.filter((e) => e.data !== undefined && !types.types.has(e.data & types.typeMask));
}
