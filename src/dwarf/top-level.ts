import { DW_AT, DW_TAG } from './constants.js';
import type { Die, Unit } from './die.js';

/**
 * The functions and variables a compile unit names at its top level, as the symbol table
 * sees them: the name a linker would use, whether it is external, a declaration (what the
 * unit uses from elsewhere) or a definition (what it provides), and noreturn. One walk for
 * every symbol-level question (a frozen object's imports, a replaced unit's definitions,
 * who declares a name, whether a callee never returns). Attributes are read when asked, so
 * a walk over every unit of a vmlinux reads only what its question needs.
 *
 * dwarf/declarations.ts is the typed view of the same DIEs (prototypes, types, statics at
 * any depth, names through abstract origins) for the interface comparison.
 */
export class TopLevelEntry {
  constructor(
    readonly unit: Unit,
    readonly die: Die,
    readonly kind: 'function' | 'variable',
  ) {}

  /** DW_AT_name. */
  get name(): string | undefined {
    return this.unit.name(this.die);
  }

  /** The symbol name: DW_AT_linkage_name when present (C++ and some GCC aliases), else DW_AT_name. */
  get symbolName(): string | undefined {
    return this.unit.string(this.die, DW_AT.linkage_name) ?? this.unit.name(this.die);
  }

  get external(): boolean {
    return this.unit.flag(this.die, DW_AT.external);
  }

  /** DW_AT_declaration set: the unit uses it, another unit defines it. */
  get declaration(): boolean {
    return this.unit.flag(this.die, DW_AT.declaration);
  }

  /** DW_AT_declaration present at all (DWARF producers that write it as a form without value). */
  get hasDeclaration(): boolean {
    return this.unit.has(this.die, DW_AT.declaration);
  }

  get noreturn(): boolean {
    return this.unit.flag(this.die, DW_AT.noreturn);
  }

  /** The unit places it: code (low_pc or ranges) for a function, a location for a variable. */
  get placed(): boolean {
    return this.kind === 'function'
      ? this.unit.has(this.die, DW_AT.low_pc) || this.unit.has(this.die, DW_AT.ranges)
      : this.unit.has(this.die, DW_AT.location);
  }
}

/** The top-level function and variable DIEs of a unit, in order. */
export function* topLevelEntries(unit: Unit): Generator<TopLevelEntry> {
  for (const die of unit.children(unit.root())) {
    const tag = die.abbrev.tag;
    if (tag === DW_TAG.subprogram) yield new TopLevelEntry(unit, die, 'function');
    else if (tag === DW_TAG.variable) yield new TopLevelEntry(unit, die, 'variable');
  }
}
