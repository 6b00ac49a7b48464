/**
 * The linker-script AST: the types the parser (parse.ts) produces and placement (place.ts)
 * reads. Types only.
 */

/**
 * A GNU ld linker script, as far as section placement needs it: the output section
 * statements in script order, each with its input section descriptions. Kernel scripts
 * (`arch/<arch>/kernel/vmlinux.lds`) are preprocessed, so INCLUDE is rejected, and so are
 * the few commands whose effect on placement depends on what this model does not have
 * (INSERT reorders statements; ONLY_IF_RO/ONLY_IF_RW and INPUT_SECTION_FLAGS depend on the
 * input sections' flags). Expressions are parsed, to find where they end and to reject
 * garbage, but never evaluated: placement does not depend on addresses.
 */
export interface LinkerScript {
  readonly file: string;
  readonly entry: string | undefined;
  readonly outputFormat: readonly string[];
  readonly outputArch: string | undefined;
  readonly phdrs: readonly { readonly name: string; readonly type: string; readonly line: number }[];
  readonly memory: readonly { readonly name: string; readonly line: number }[];
  /** Every output section statement, /DISCARD/ included, in script order (OVERLAY members in place). */
  readonly outputSections: readonly OutputSection[];
  /** Symbol assignments anywhere in the script (`sym = …;`, PROVIDE, PROVIDE_HIDDEN, HIDDEN); `.` excluded. */
  readonly assignments: readonly SymbolAssignment[];
}

export interface OutputSection {
  readonly name: string;
  readonly line: number;
  /** `/DISCARD/`: what matches is not linked. */
  readonly discard: boolean;
  /** Source text of the address expression (`0` for the debug sections), if any. */
  readonly address: string | undefined;
  /** `(NOLOAD)`, `(INFO)`, `(COPY)`, `(READONLY)`, `(TYPE = …)`, without the parentheses. */
  readonly type: string | undefined;
  readonly lma: string | undefined;
  readonly region: string | undefined;
  readonly lmaRegion: string | undefined;
  readonly phdrs: readonly string[];
  readonly fill: string | undefined;
  /** Set for the members of an OVERLAY: the line of the OVERLAY keyword. */
  readonly overlayLine: number | undefined;
  readonly inputs: readonly InputSectionDescription[];
  /** Symbols assigned inside the statement, in order; `beforeInput` is the index of the input description that follows (inputs.length at the end). */
  readonly symbols: readonly { readonly symbol: string; readonly beforeInput: number }[];
}

export interface InputSectionDescription {
  /** The description as written, whitespace collapsed: `KEEP(*(.text.hot .text.hot.*))`. */
  readonly text: string;
  readonly line: number;
  readonly keep: boolean;
  /** File name pattern; `*` for all files. May be `archive:member`. */
  readonly file: string;
  /** EXCLUDE_FILE written before the file pattern: applies to every section pattern. */
  readonly fileExclude: readonly string[];
  /** Section patterns; empty when the description names a file without a section list (all its sections). */
  readonly sections: readonly SectionPattern[];
  /** `SORT(…)` around the file pattern. */
  readonly fileSort: string | undefined;
}

export interface SectionPattern {
  readonly pattern: string;
  /** A quoted name: matched literally, no wildcards. */
  readonly quoted: boolean;
  /** EXCLUDE_FILE written inside the section list: applies to this pattern only. */
  readonly exclude: readonly string[];
  /** SORT, SORT_BY_NAME, SORT_BY_ALIGNMENT(SORT_BY_NAME), …, outermost first, joined by '/'. */
  readonly sort: string | undefined;
}

export interface SymbolAssignment {
  readonly symbol: string;
  readonly line: number;
  readonly kind: 'assign' | 'PROVIDE' | 'PROVIDE_HIDDEN' | 'HIDDEN';
  /** The output section statement it sits in; undefined outside any. */
  readonly section: string | undefined;
}
