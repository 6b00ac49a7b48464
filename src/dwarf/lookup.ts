import type { TypeRef } from '../graph/type-graph.js';
import { isAssembler } from '../facts/compiler.js';
import { DW_AT, DW_FORM, DW_OP_addr, DW_TAG } from './constants.js';
import { topLevelVariablesAt, topLevelVariablesNamed, unitContents, type UnitFunction, type UnitVariable } from './declarations.js';
import { DwarfTypeGraph } from './type-graph.js';
import type { UnitHeader } from './unit.js';

/**
 * Questions about a linked file's DWARF that go to the one unit that can answer them: the
 * unit holding a function's code (through .debug_aranges), the unit a name is found in.
 */

/** The definition of the function at `address` (its symbol's value), in the unit holding that code. */
export function functionAt(graph: DwarfTypeGraph, name: string, address: bigint): (UnitFunction & { unit: string | undefined }) | undefined {
  const dwarf = graph.dwarf;
  const unitOffset = dwarf.addressRanges()?.unitFor(address);
  if (unitOffset === undefined) return undefined;
  const header = dwarf.unitHeaderAt(unitOffset);
  if (!header) return undefined;
  // An assembler unit (GNU as describes .type @function symbols) has no C prototype to compare.
  const producer = dwarf.summary(header)?.producer;
  if (producer !== undefined && isAssembler(producer)) return undefined;
  const contents = unitContents(graph, header);
  const defined = contents.functions.filter((f) => !f.declaration);
  const fn = defined.find((f) => f.lowPc === address) ?? defined.find((f) => f.name === name);
  return fn ? { ...fn, unit: contents.unit } : undefined;
}

type NamedKind = 'struct' | 'union' | 'enum' | 'typedef';

const TAG_OF_KIND: Record<NamedKind, number> = {
  struct: DW_TAG.structure_type,
  union: DW_TAG.union_type,
  enum: DW_TAG.enumeration_type,
  typedef: DW_TAG.typedef,
};
const KIND_OF_TAG = new Map<number, NamedKind>(Object.entries(TAG_OF_KIND).map(([kind, tag]) => [tag, kind as NamedKind]));

/**
 * Where a file's DWARF (a vmlinux's, or an object's) defines a named struct, union, enum or
 * typedef with a layout, not a declaration. Kernel headers put a type in hundreds of units,
 * and a closure comparison asks for the same name again from each unit that only declares
 * it, so answers are remembered.
 * Units already listed are asked first: a subsystem's private types are defined together
 * (`struct module_sect_attrs` and `struct module_notes_attrs` in one unit). Then the units
 * decoded for other questions: the unit defining a function defines the types of its
 * interface (`crypto/rng.c`, where `crypto_register_rng` is, defines `struct rng_alg`).
 * Only then the rest that mention the name, in order: first those whose bytes could hold
 * the definition (mayDefine), then the others. Each unit searched is listed whole, once.
 * Which of several units gives the answer therefore depends on what was asked before; in
 * one kernel they describe one layout.
 */
export class TypeDefinitions {
  private readonly answers = new Map<string, TypeRef | undefined>();
  /** The top-level definitions of each unit read so far, by unit offset, then "kind name". */
  private readonly listed = new Map<number, ReadonlyMap<string, TypeRef>>();

  constructor(private readonly graph: DwarfTypeGraph) {}

  find(kind: NamedKind, name: string): TypeRef | undefined {
    const key = `${kind} ${name}`;
    if (!this.answers.has(key)) this.answers.set(key, this.search(kind, name, key));
    return this.answers.get(key);
  }

  private search(kind: NamedKind, name: string, key: string): TypeRef | undefined {
    for (const definitions of this.listed.values()) {
      const ref = definitions.get(key);
      if (ref !== undefined) return ref;
    }
    const dwarf = this.graph.dwarf;
    const offsets = dwarf.stringOffsets(name);
    const needles = offsets.map((o) => dwarf.offsetBytes(o));
    const tag = TAG_OF_KIND[kind];
    for (const unit of dwarf.decodedUnits()) {
      const header = unit.header;
      if (header.section !== '.debug_info' || this.listed.has(header.offset)) continue;
      if (!mayDefine(this.graph, header, unit.bytes, tag, needles)) continue;
      const ref = this.list(header).get(key);
      if (ref !== undefined) return ref;
    }
    const unlikely: UnitHeader[] = [];
    for (const { header, bytes } of dwarf.unitsMentioning(name, offsets)) {
      if (this.listed.has(header.offset)) continue;
      if (!mayDefine(this.graph, header, bytes, tag, needles)) {
        unlikely.push(header);
        continue;
      }
      const ref = this.list(header).get(key);
      if (ref !== undefined) return ref;
    }
    for (const header of unlikely) {
      const ref = this.list(header).get(key);
      if (ref !== undefined) return ref;
    }
    return undefined;
  }

  /**
   * Whether a unit other than those at the `except` offsets defines the named type (not a
   * declaration): of the units that mention the name, those whose bytes may hold its
   * definition are tried first. The first unit found ends the search, so a type of a common
   * header costs a unit or two (listed once for every question); one no other unit defines
   * costs a pass over the units that mention it.
   */
  definedOutside(kind: NamedKind, name: string, except: ReadonlySet<number>): boolean {
    const key = `${kind} ${name}`;
    for (const [offset, definitions] of this.listed) if (!except.has(offset) && definitions.has(key)) return true;
    const dwarf = this.graph.dwarf;
    // A linked file's .debug_str holds each string once, so where an excepted unit's definition
    // keeps its name is where every unit's does: one needle, not every tail that spells it.
    let offsets: number[] | undefined;
    for (const offset of except) {
      const header = dwarf.headerAt(offset);
      const ref = header && this.list(header).get(key);
      if (ref === undefined) continue;
      const { unit, die } = this.graph.dieOf(ref);
      const at = unit.strpOffset(die, DW_AT.name);
      // GCC writes a short name ("fd") in the DIE itself.
      offsets = at === undefined ? [] : [at];
      break;
    }
    offsets ??= dwarf.stringOffsets(name);
    const needles = offsets.map((o) => dwarf.offsetBytes(o));
    const inline = Buffer.from(`${name}\0`, 'utf8');
    const tag = TAG_OF_KIND[kind];
    const unlikely: UnitHeader[] = [];
    for (const { header, bytes } of dwarf.unitsMentioning(name, offsets)) {
      if (header.section !== '.debug_info' || except.has(header.offset) || this.listed.has(header.offset)) continue;
      if (!mayDefine(this.graph, header, bytes, tag, needles, inline)) {
        unlikely.push(header);
        continue;
      }
      if (this.list(header).has(key)) return true;
    }
    return unlikely.some((header) => this.list(header).has(key));
  }

  private list(header: UnitHeader): ReadonlyMap<string, TypeRef> {
    const definitions = unitTypeDefinitions(this.graph, header);
    this.listed.set(header.offset, definitions);
    return definitions;
  }
}

/** The named types a unit defines at top level (not declarations), by "kind name"; the first of a name wins. */
function unitTypeDefinitions(graph: DwarfTypeGraph, header: UnitHeader): Map<string, TypeRef> {
  const definitions = new Map<string, TypeRef>();
  const unit = graph.dwarf.unit(header);
  for (const die of unit.children(unit.root())) {
    const kind = KIND_OF_TAG.get(die.abbrev.tag);
    if (!kind || unit.flag(die, DW_AT.declaration)) continue;
    const name = unit.name(die);
    const key = `${kind} ${name}`;
    if (name && !definitions.has(key)) definitions.set(key, DwarfTypeGraph.refOf(header, die.offset));
  }
  return definitions;
}

/**
 * Whether a unit may define the type, judged from its bytes: GCC writes a named type's
 * DW_AT_name (DW_FORM_strp) as the first attribute, right after the DIE's abbreviation
 * code, so each place the name's string offset occurs (`needles`: the offsets as 4 bytes)
 * is tried as such a DIE (codes of 1 to 3 ULEB bytes) against the unit's abbreviations: the
 * wanted tag, not a declaration.
 * Nothing is decoded at these places (a match by chance only costs a unit walk), and a
 * unit of declarations alone is passed over.
 */
function mayDefine(graph: DwarfTypeGraph, header: UnitHeader, bytes: Buffer, tag: number, needles: readonly Buffer[], inline?: Buffer): boolean {
  if (header.offsetSize !== 4 || (needles.length === 0 && !inline)) return true;
  const abbrevs = graph.dwarf.abbreviations(header.abbrevOffset);
  const first = header.firstDieOffset - header.offset;
  const candidates: [Buffer, number][] = needles.map((n) => [n, DW_FORM.strp]);
  if (inline) candidates.push([inline, DW_FORM.string]);
  for (const [needle, form] of candidates) {
    for (let at = bytes.indexOf(needle, first); at >= 0; at = bytes.indexOf(needle, at + 1)) {
      for (let k = 1; k <= 3 && at - k >= first; k++) {
        // a ULEB code: its last byte below 0x80, every earlier byte 0x80 or above
        if (bytes[at - 1]! >= 0x80 || (k > 1 && bytes[at - k]! < 0x80)) break;
        let code = 0;
        for (let i = 0; i < k; i++) code += (bytes[at - k + i]! & 0x7f) * 2 ** (7 * i);
        const abbrev = abbrevs.get(code);
        if (!abbrev || abbrev.tag !== tag) continue;
        const firstAttr = abbrev.attributes[0];
        if (firstAttr?.at === DW_AT.name && firstAttr.form === form && !abbrev.attributes.some((a) => a.at === DW_AT.declaration)) return true;
      }
    }
  }
  return false;
}

/** What a unit's bytes hold where a DIE locates a variable at `address`: DW_OP_addr and the address. */
function addressOperand(header: UnitHeader, address: bigint, littleEndian: boolean): Buffer {
  const b = Buffer.alloc(1 + header.addressSize);
  b[0] = DW_OP_addr;
  if (header.addressSize === 8) {
    if (littleEndian) b.writeBigUInt64LE(BigInt.asUintN(64, address), 1);
    else b.writeBigUInt64BE(BigInt.asUintN(64, address), 1);
  } else if (littleEndian) b.writeUInt32LE(Number(BigInt.asUintN(32, address)), 1);
  else b.writeUInt32BE(Number(BigInt.asUintN(32, address)), 1);
  return b;
}

/**
 * A global variable's definition among `units`: the one placing `name` at `address` (a
 * top-level DIE: a global is never a function's static). A unit is decoded only when its bytes hold that address as a DW_OP_addr operand (the location of
 * every static variable GCC and clang describe), so a unit that merely mentions the name
 * costs one search of its bytes.
 */
export function variableDefinedIn(
  graph: DwarfTypeGraph,
  name: string,
  address: bigint,
  units: Iterable<{ header: UnitHeader; bytes: Buffer }>,
): UnitVariable | undefined {
  const dwarf = graph.dwarf;
  for (const { header, bytes } of units) {
    const operand = addressOperand(header, address, dwarf.littleEndian);
    if (bytes.indexOf(operand, header.firstDieOffset - header.offset) < 0) continue;
    const v = topLevelVariablesAt(graph, header, address).find((x) => x.name === name && !x.declaration);
    if (v) return v;
  }
  return undefined;
}

/**
 * The first unit among `units` that declares or defines the global variable `name` at
 * `address`: its definition there, else its declaration (what the headers of that build
 * declare). A unit is decoded only when its bytes mention the name.
 */
export function variableDeclaredIn(
  graph: DwarfTypeGraph,
  name: string,
  address: bigint,
  units: Iterable<{ header: UnitHeader; bytes: Buffer }>,
): UnitVariable | undefined {
  const dwarf = graph.dwarf;
  const offsets = new Set(dwarf.stringOffsets(name));
  const patterns = [Buffer.from(`${name}\0`, 'utf8'), ...[...offsets].map((o) => dwarf.offsetBytes(o))];
  for (const { header, bytes } of units) {
    const first = header.firstDieOffset - header.offset;
    if (!patterns.some((p) => bytes.indexOf(p, first) >= 0)) continue;
    const named = topLevelVariablesNamed(graph, header, name, offsets);
    const v = named.find((x) => x.address === address && !x.declaration) ?? named.find((x) => x.declaration);
    if (v) return v;
  }
  return undefined;
}
