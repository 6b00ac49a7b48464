import type { DwarfFile } from '../dwarf/index.js';
import { topLevelEntries } from '../dwarf/top-level.js';
import type { SymbolKind } from '../facts/symbols.js';

export interface CompileUnits {
  /** DW_AT_name of each compile unit ("crypto/jitterentropy.c"). */
  readonly names: readonly string[];
  /** DW_AT_producer of the first unit that has one. */
  readonly producer: string | undefined;
  /**
   * What the object declares as external and uses from elsewhere: GCC emits a declaration
   * for every external function and variable a unit uses, so this says whether an import is
   * a function or data even when no relocation shows it.
   */
  readonly declared: ReadonlyMap<string, SymbolKind>;
}

/** The compile units of an object's (relocated) DWARF and the externals they declare. */
export function readCompileUnits(dwarf: DwarfFile | undefined): CompileUnits {
  const names: string[] = [];
  const declared = new Map<string, SymbolKind>();
  let producer: string | undefined;
  for (const cu of dwarf?.compileUnits() ?? []) {
    if (cu.name) names.push(cu.name);
    producer ??= cu.producer;
    for (const entry of topLevelEntries(dwarf!.unit(cu.header))) {
      if (!entry.declaration || !entry.external) continue;
      const name = entry.symbolName;
      if (name) declared.set(name, entry.kind === 'function' ? 'function' : 'data');
    }
  }
  return { names, producer, declared };
}
