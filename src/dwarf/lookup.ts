import type { TypeRef } from '../model/types.js';
import { DW_AT, DW_TAG } from './constants.js';
import { unitContents, type UnitFunction, type UnitVariable } from './declarations.js';
import type { DwarfFile } from './file.js';
import { DwarfTypeGraph } from './types.js';
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
  const header = dwarf.headerAt(unitOffset);
  if (!header) return undefined;
  const contents = unitContents(graph, header);
  const defined = contents.functions.filter((f) => !f.declaration);
  const fn = defined.find((f) => f.lowPc === address) ?? defined.find((f) => f.name === name);
  return fn ? { ...fn, unit: contents.unit } : undefined;
}

/**
 * The first unit that defines a struct/union/enum/typedef of this name with a layout (not a
 * declaration). Units are searched in order, after a quick test of each unit's bytes for the
 * name's string offset; kernel headers put a type in hundreds of units, so the search
 * usually stops early.
 */
export function typeNamed(graph: DwarfTypeGraph, kind: 'struct' | 'union' | 'enum' | 'typedef', name: string): TypeRef | undefined {
  const dwarf = graph.dwarf;
  const tag = { struct: DW_TAG.structure_type, union: DW_TAG.union_type, enum: DW_TAG.enumeration_type, typedef: DW_TAG.typedef }[kind];
  for (const header of dwarf.unitsMentioning(name)) {
    const ref = findTopLevel(graph, header, tag, name);
    if (ref !== undefined) return ref;
  }
  return undefined;
}

function findTopLevel(graph: DwarfTypeGraph, header: UnitHeader, tag: number, name: string): TypeRef | undefined {
  const unit = graph.dwarf.unit(header);
  for (const die of unit.children(unit.root())) {
    if (die.abbrev.tag !== tag || unit.flag(die, DW_AT.declaration)) continue;
    if (unit.name(die) === name) return DwarfTypeGraph.refOf(header, die.offset);
  }
  return undefined;
}

/**
 * A variable's definition: the unit placing it at `address`. The units named like
 * `fileHint` are tried first; then every unit that mentions the name.
 */
export function variableAt(graph: DwarfTypeGraph, name: string, address: bigint, fileHint: string | undefined): UnitVariable | undefined {
  const dwarf = graph.dwarf;
  const tried = new Set<number>();
  const tryUnit = (header: UnitHeader) => {
    tried.add(header.offset);
    return unitContents(graph, header).variables.find((v) => v.name === name && v.address === address && !v.declaration);
  };
  if (fileHint) {
    for (const u of dwarf.compileUnitsNamedLike(fileHint)) {
      const v = tryUnit(u.header);
      if (v) return v;
    }
  }
  for (const header of dwarf.unitsMentioning(name)) {
    if (tried.has(header.offset)) continue;
    const v = tryUnit(header);
    if (v) return v;
  }
  return undefined;
}
