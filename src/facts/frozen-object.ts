import type { FrozenInterface } from '../graph/interfaces.js';
import type { ObjectConventions } from './object-conventions.js';
import type { ModuleInfo } from './module.js';
import type { SymbolKind } from './symbols.js';

/**
 * A frozen object as the model and the checks see it: what it defines, imports and exports,
 * where it references each import, its module metadata, the interface it was compiled
 * against and the conventions it was built with. Read from the object (src/object/) or from its ABI snapshot
 * (src/snapshot/).
 */

export interface ReferenceSite {
  readonly section: string;
  readonly offset: bigint;
  /** The function containing the site, when the site is in code. */
  readonly function: string | undefined;
  readonly relocation: string;
}

export interface FrozenImport {
  readonly name: string;
  readonly kind: SymbolKind;
  /** How `kind` is known: the object's own DWARF declaration, or the relocation types used. */
  readonly kindSource: 'dwarf' | 'relocation' | 'none';
  /** An undefined weak reference links even when nothing defines it (it resolves to 0). */
  readonly weak: boolean;
  readonly sites: readonly ReferenceSite[];
}

export interface FrozenDefinition {
  readonly name: string;
  readonly kind: SymbolKind;
  readonly binding: 'global' | 'weak';
  readonly section: string;
  readonly size: number;
}

export interface FrozenExport {
  readonly name: string;
  readonly gplOnly: boolean;
}

export interface FrozenSection {
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly size: number;
  readonly entsize: number;
  readonly addralign: number;
}

export interface FrozenObject {
  /** The path as the user gave it. */
  readonly path: string;
  /** Read from the object itself, or from an ABI snapshot of it (relinkable extract). */
  readonly origin: 'object' | 'snapshot';
  readonly sha256: string;
  readonly size: number;
  readonly machine: number;
  readonly is64: boolean;
  readonly littleEndian: boolean;
  readonly sections: readonly FrozenSection[];
  /** A loadable module (.ko: has .gnu.linkonce.this_module); an object with only .modinfo is not. */
  readonly isModule: boolean;
  readonly moduleInfo: ModuleInfo | undefined;
  readonly definitions: ReadonlyMap<string, FrozenDefinition>;
  readonly imports: ReadonlyMap<string, FrozenImport>;
  readonly exports: ReadonlyMap<string, FrozenExport>;
  /** DW_AT_name of each compile unit (e.g. "crypto/jitterentropy.c"); empty without DWARF. */
  readonly compileUnits: readonly string[];
  /** The interface it was compiled against, from its DWARF or a snapshot; undefined when it has neither. */
  readonly compiledAgainst: FrozenInterface | undefined;
  readonly producer: string | undefined;
  /** The low-level conventions it was built with (read by src/object/object-conventions.ts on first use). */
  readonly conventions: ObjectConventions;
}
