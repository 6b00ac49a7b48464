import type { FrozenObject } from './frozen-object.js';
import type { SymbolKind } from './symbols.js';

/**
 * What a frozen object replaces in the new kernel (src/kernel/replacement.ts finds it): the
 * object of a build directory, a compile unit of vmlinux, or a module — or why none was found.
 */

/** Where in the new kernel a symbol is referenced from. */
export interface Referrer {
  /** The object, compile unit or module holding the reference. */
  readonly unit: string;
  /** The function containing the reference, when known. */
  readonly function: string | undefined;
}

export type ReplacementHow = 'explicit' | 'same-path' | 'compile-unit' | 'module-name';

/** The part of the new kernel a frozen object takes the place of. */
export interface ReplacedUnit {
  readonly found: true;
  readonly frozen: FrozenObject;
  /** "crypto/jitterentropy.o", "compile unit crypto/jitterentropy.c", "module crypto/jitterentropy_rng". */
  readonly name: string;
  readonly how: ReplacementHow;
  /** Which link the frozen object joins: vmlinux, or a module (build-dir path without .ko). */
  readonly target: { readonly kind: 'vmlinux' } | { readonly kind: 'module'; readonly module: string };
  /** Global symbols the replaced unit defines in the new kernel. */
  readonly definitions: ReadonlyMap<string, SymbolKind>;
  /** Exports the replaced module provided (module replacement only). */
  readonly exports: ReadonlySet<string>;
  /** What the references to its symbols were read from, for evidence. */
  readonly referenceSource: string;
  /** The replaced object as a file of the new kernel (build-directory object, new module .ko), when it is one. */
  readonly newObject: string | undefined;
  /** DW_AT_producer of the replaced compile unit (compiler and flags the new kernel built it with), when known. */
  readonly producer: string | undefined;
  /** Reads ahead what referencesTo will need. */
  prepare(): Promise<void>;
  /** References from the rest of the new kernel (everything but the replaced unit) to these names. */
  referencesTo(names: ReadonlySet<string>): Map<string, Referrer[]>;
}

export interface NotReplaced {
  readonly found: false;
  readonly frozen: FrozenObject;
  readonly reason: string;
  /** Ambiguous matches, when that is why. */
  readonly candidates: readonly string[];
  /**
   * A module whose sources the new kernel builds into vmlinux: listed in modules.builtin,
   * or (without that file) its compile units found in vmlinux's DWARF.
   */
  readonly builtIn: BuiltIn | undefined;
}

export type BuiltIn =
  | { readonly how: 'modules.builtin'; readonly file: string; readonly line: number; readonly entry: string }
  | { readonly how: 'dwarf'; readonly file: string; readonly compileUnits: readonly string[] };

export type Replacement = ReplacedUnit | NotReplaced;
