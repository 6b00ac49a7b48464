import type { ExportTable } from './kernel-exports.js';
import type { ModuleInfo } from './module.js';
import type { LinkedSymbol, SymbolType } from './symbols.js';

export type ExportsSource = 'Module.symvers' | 'vmlinux __ksymtab';

/** An object of a build directory that defines a name (for a module's other objects). */
export interface ObjectDefinition {
  readonly object: string;
  readonly type: SymbolType;
  readonly weak: boolean;
}

/**
 * The new kernel as the link model and the link checks ask it: which symbols vmlinux
 * defines (globally or as statics), what it exports, and — for a build directory — what the
 * library archives and a module's other objects define. src/kernel/kernel.ts (NewKernel)
 * answers, reading each part the first time it is asked; a test can answer from plain data.
 */
export interface KernelSymbols {
  /** The vmlinux path as the user gave it (or as it was found), for evidence. */
  readonly vmlinuxFile: string;
  global(name: string): LinkedSymbol | undefined;
  /** Every global and weak symbol vmlinux defines. */
  globals(): ReadonlyMap<string, LinkedSymbol>;
  /** Static definitions of a name (functions and data). */
  locals(name: string): readonly LinkedSymbol[];
  /** Where a symbol of the kernel is defined, for evidence: a file (vmlinux, or System.map for a stripped one), its section, and an address or line. */
  whereDefined(sym: LinkedSymbol): { readonly file: string; readonly section: string | undefined; readonly location: string };
  /** The name of one of vmlinux's sections, by index. */
  sectionName(index: number): string | undefined;
  hasSection(name: string): boolean;
  /** The exports, where they were read from and the file that says so. */
  exports(): { readonly map: ExportTable; readonly source: ExportsSource; readonly file: string };
  /** A build directory: the library archive member (lib.a) that would provide `name`. */
  libraryProvider(name: string): string | undefined;
  /** A build directory: the objects of `module` other than `except` that define `name`, in link order. */
  moduleObjectsDefining(module: string, except: string, name: string): readonly ObjectDefinition[];
  /** Whether the kernel is a build directory (its objects at hand). */
  readonly isBuildTree: boolean;
  /** The .modinfo of the new kernel's build of a module, when its .ko is at hand. */
  moduleInfoOf(module: string): { readonly info: ModuleInfo; readonly from: string } | undefined;
}
