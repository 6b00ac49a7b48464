import type { TypeRef } from '../graph/type-graph.js';
import { DW_AT, DW_OP_addr, DW_TAG } from './constants.js';
import type { Die, Unit } from './die.js';
import { DwarfTypeGraph, VOID_REF } from './type-graph.js';
import type { UnitHeader } from './unit.js';

/** A function a compile unit declares (calls) or defines. */
export interface UnitFunction {
  readonly name: string;
  /** The subprogram DIE: a 'function' node in the graph. */
  readonly ref: TypeRef;
  readonly external: boolean;
  readonly declaration: boolean;
  /** Entry address (section-relative in a relocatable file). */
  readonly lowPc: bigint | undefined;
  readonly noreturn: boolean;
}

/** A variable with static storage a unit defines (at any depth), or a declaration of an external one. */
export interface UnitVariable {
  readonly name: string;
  readonly type: TypeRef;
  readonly external: boolean;
  readonly declaration: boolean;
  /** DW_OP_addr location (section-relative in a relocatable file). */
  readonly address: bigint | undefined;
  /** The function a static local belongs to. */
  readonly scope: string | undefined;
  readonly die: TypeRef;
}

export interface UnitContents {
  readonly unit: string | undefined;
  readonly functions: readonly UnitFunction[];
  readonly variables: readonly UnitVariable[];
}

function nameOf(graph: DwarfTypeGraph, unit: Unit, die: Die): string | undefined {
  const own = unit.string(die, DW_AT.linkage_name) ?? unit.name(die);
  if (own) return own;
  // Concrete instances and out-of-class definitions name themselves through their origin.
  for (const at of [DW_AT.abstract_origin, DW_AT.specification]) {
    const ref = graph.typeAttr(unit, die, at);
    if (ref === VOID_REF) continue;
    const origin = graph.dieOf(ref);
    return origin.unit.string(origin.die, DW_AT.linkage_name) ?? origin.unit.name(origin.die);
  }
  return undefined;
}

function flagOrOrigin(graph: DwarfTypeGraph, unit: Unit, die: Die, at: number): boolean {
  if (unit.flag(die, at)) return true;
  const ref = graph.typeAttr(unit, die, DW_AT.specification);
  if (ref === VOID_REF) return false;
  const origin = graph.dieOf(ref);
  return origin.unit.flag(origin.die, at);
}

function staticAddress(unit: Unit, die: Die, littleEndian: boolean): bigint | undefined {
  const loc = unit.attr(die, DW_AT.location);
  if (loc?.kind !== 'block' || loc.bytes[0] !== DW_OP_addr) return undefined;
  const size = unit.header.addressSize;
  if (loc.bytes.length !== 1 + size) return undefined;
  if (size === 8) return littleEndian ? loc.bytes.readBigUInt64LE(1) : loc.bytes.readBigUInt64BE(1);
  return BigInt(littleEndian ? loc.bytes.readUInt32LE(1) : loc.bytes.readUInt32BE(1));
}

/** A variable DIE with static storage, or a top-level declaration; undefined for any other variable. */
function variableOf(graph: DwarfTypeGraph, unit: Unit, die: Die, scope: string | undefined): UnitVariable | undefined {
  const declaration = unit.flag(die, DW_AT.declaration);
  const address = staticAddress(unit, die, graph.dwarf.littleEndian);
  if (address === undefined && !(declaration && die.depth === 1)) return undefined;
  const name = nameOf(graph, unit, die);
  if (!name) return undefined;
  let type = graph.typeAttr(unit, die);
  if (type === VOID_REF) {
    // A definition that completes a declaration carries the type on the declaration.
    const spec = graph.typeAttr(unit, die, DW_AT.specification);
    if (spec !== VOID_REF) {
      const declaration = graph.dieOf(spec);
      type = graph.typeAttr(declaration.unit, declaration.die);
    }
  }
  return {
    name,
    type,
    external: flagOrOrigin(graph, unit, die, DW_AT.external),
    declaration,
    address,
    scope,
    die: DwarfTypeGraph.refOf(unit.header, die.offset),
  };
}

/**
 * The variables named `name` a unit has at its top level (the root's children): the
 * definition and declarations of a file-scope variable, as unitContents has them, without
 * walking into functions. A DIE whose DW_AT_name is a .debug_str offset other than
 * `nameOffsets` (where `name` is in .debug_str) is passed over without reading its name.
 */
export function topLevelVariablesNamed(graph: DwarfTypeGraph, header: UnitHeader, name: string, nameOffsets: ReadonlySet<number>): UnitVariable[] {
  const unit = graph.dwarf.unit(header);
  const variables: UnitVariable[] = [];
  for (const die of unit.children(unit.root())) {
    if (die.abbrev.tag !== DW_TAG.variable) continue;
    if (!unit.has(die, DW_AT.linkage_name)) {
      const offset = unit.strpOffset(die, DW_AT.name);
      if (offset !== undefined && !nameOffsets.has(offset)) continue;
    }
    const v = variableOf(graph, unit, die, undefined);
    if (v?.name === name) variables.push(v);
  }
  return variables;
}

/** The variables a unit defines at its top level at `address` (a DW_OP_addr location), as unitContents has them. */
export function topLevelVariablesAt(graph: DwarfTypeGraph, header: UnitHeader, address: bigint): UnitVariable[] {
  const unit = graph.dwarf.unit(header);
  const variables: UnitVariable[] = [];
  for (const die of unit.children(unit.root())) {
    if (die.abbrev.tag !== DW_TAG.variable || !unit.has(die, DW_AT.location)) continue;
    if (staticAddress(unit, die, graph.dwarf.littleEndian) !== address) continue;
    const v = variableOf(graph, unit, die, undefined);
    if (v) variables.push(v);
  }
  return variables;
}

/**
 * What one compile unit declares and defines: its top-level functions (declarations of what
 * it calls, definitions of what it provides) and every variable with static storage,
 * including function-scope statics such as printk_ratelimited()'s rate-limit state.
 */
export function unitContents(graph: DwarfTypeGraph, header: UnitHeader): UnitContents {
  const dwarf = graph.dwarf;
  const unit = dwarf.unit(header);
  const functions: UnitFunction[] = [];
  const variables: UnitVariable[] = [];
  const root = unit.root();
  const scopes: (string | undefined)[] = [];
  for (const die of unit.entries()) {
    scopes.length = die.depth;
    const tag = die.abbrev.tag;
    if (tag === DW_TAG.subprogram) {
      const name = nameOf(graph, unit, die);
      scopes[die.depth] = name;
      if (die.depth === 1 && name) {
        functions.push({
          name,
          ref: DwarfTypeGraph.refOf(header, die.offset),
          external: flagOrOrigin(graph, unit, die, DW_AT.external),
          declaration: unit.flag(die, DW_AT.declaration),
          lowPc: unit.address(die, DW_AT.low_pc),
          noreturn: flagOrOrigin(graph, unit, die, DW_AT.noreturn),
        });
      }
    } else if (tag === DW_TAG.variable && die.depth >= 1) {
      const v = variableOf(graph, unit, die, die.depth > 1 ? scopes.slice(1, die.depth).filter(Boolean).at(-1) : undefined);
      if (v) variables.push(v);
    }
  }
  return { unit: unit.name(root), functions, variables };
}

/** A named struct or union a unit defines in full (at any depth: a type local to a function counts too). */
export interface UnitAggregate {
  readonly kind: 'struct' | 'union';
  readonly name: string;
  readonly ref: TypeRef;
  /** DW_AT_decl_file, an index into the unit's line-table file names. */
  readonly declFile: number | undefined;
  readonly declLine: number | undefined;
}

/**
 * Every named struct and union a compile unit defines with a layout (not the declarations):
 * what a BTF encoder (pahole) turns into BTF types for that unit.
 */
export function unitAggregates(graph: DwarfTypeGraph, header: UnitHeader): UnitAggregate[] {
  const unit = graph.dwarf.unit(header);
  const out: UnitAggregate[] = [];
  for (const die of unit.entries()) {
    const tag = die.abbrev.tag;
    if (tag !== DW_TAG.structure_type && tag !== DW_TAG.class_type && tag !== DW_TAG.union_type) continue;
    if (unit.flag(die, DW_AT.declaration)) continue;
    const name = unit.name(die);
    if (!name) continue;
    const file = unit.unsigned(die, DW_AT.decl_file);
    const line = unit.unsigned(die, DW_AT.decl_line);
    out.push({
      kind: tag === DW_TAG.union_type ? 'union' : 'struct',
      name,
      ref: DwarfTypeGraph.refOf(header, die.offset),
      declFile: file === undefined ? undefined : Number(file),
      declLine: line === undefined ? undefined : Number(line),
    });
  }
  return out;
}
