import type { Architecture } from './architecture.js';

/**
 * An object's conventions: what it shows of the low-level conventions it was built with — the
 * compiler and its flags, what sits at and before each function's entry, which functions
 * are reached through data, the special sections and their entry formats, per-CPU and
 * thunk references, BTF and BTF ids. Read once from the ELF (or from an ABI snapshot, where
 * they are stored as is), for the frozen object and for a reference object alike; the
 * primitive detectors compare them with the new kernel and never read ELF themselves.
 */

export interface CompilerFacts {
  /** DW_AT_producer of each compile unit, deduplicated; units listed per producer. */
  readonly producers: readonly { readonly producer: string; readonly units: readonly string[] }[];
  /** The strings of .comment ("GCC: (Debian 12.2.0-14+deb12u1) 12.2.0"). */
  readonly comment: readonly string[];
}

export interface SectionFacts {
  readonly name: string;
  readonly size: number;
  /** ELF section flags as readelf prints the interesting ones: W, A, X. */
  readonly flags: string;
  /** Relocations applying to the section (counted from the relocation sections' sizes). */
  readonly relocations: number;
}

export type EntryPad = 'endbr64' | 'endbr32' | 'bti-c' | 'bti-j' | 'bti-jc' | 'paciasp' | 'pacibsp' | 'none';

export interface FunctionFacts {
  readonly name: string;
  readonly binding: 'local' | 'global' | 'weak';
  readonly section: string;
  readonly offset: number;
  readonly size: number;
  /** The instruction at the entry, when it is a landing pad. */
  readonly entry: EntryPad;
  /** NOP bytes (x86: 0x90; arm64: NOP words × 4) immediately before the entry, up to 64. */
  readonly paddingBefore: number;
  /** A __pfx_<name> symbol marks the padding (v6.2+ with CALL_PADDING). */
  readonly prefixSymbol: boolean;
  /** kCFI: the type hash of the __cfi_<name> preamble (x86: mov $hash,%eax), hex. */
  readonly cfiHash: string | undefined;
  /** The ftrace hook its first instructions call, if any: __fentry__, mcount, _mcount. */
  readonly ftraceCall: string | undefined;
}

/** A function whose address is taken: reached by an indirect call from where the address is stored. */
export interface IndirectTarget {
  readonly function: string;
  readonly from: {
    readonly section: string;
    readonly offset: number;
    /** The data object holding the pointer (jent_alg), or the function whose code takes the address. */
    readonly symbol: string | undefined;
    /** The member of that object's type at the pointer's offset (".base.cra_init"), from the object's DWARF. */
    readonly member: string | undefined;
    readonly relocation: string;
  };
}

export interface AlternativeFeatureUse {
  readonly feature: number;
  readonly flags: readonly string[];
  readonly count: number;
  /** Where the first such alternative patches: function+offset or section+offset. */
  readonly example: string;
}

export interface ExtableFacts {
  /** 'data' since v5.16 (insn, fixup, data), 'handler' before (insn, fixup, handler). */
  readonly layout: 'data' | 'handler';
  readonly entries: number;
  readonly types: readonly { readonly type: number; readonly count: number; readonly example: string }[];
  readonly handlers: readonly { readonly handler: string; readonly count: number }[];
}

export interface BtfIdFact {
  /** struct, union, typedef, func. */
  readonly kind: string;
  readonly name: string;
  /** The symbol, __BTF_ID__<kind>__<name>__<n>. */
  readonly symbol: string;
  /** The id resolve_btfids wrote for the kernel the object was built for (0 when unresolved). */
  readonly id: number;
}

export interface BtfSetFact {
  readonly kind: 'set' | 'set8';
  readonly name: string;
  readonly count: number;
  /** set8 only: the flags word (BTF_SET8_KFUNCS = 1). */
  readonly flags: number | undefined;
}

export interface ObjectConventions {
  readonly architecture: Architecture | 'other';
  readonly compiler: CompilerFacts;
  readonly sections: readonly SectionFacts[];
  /** .note.gnu.property feature bits; undefined without the note. */
  readonly properties: { readonly ibt: boolean; readonly shstk: boolean; readonly bti: boolean; readonly pac: boolean } | undefined;
  readonly functions: readonly FunctionFacts[];
  readonly indirectTargets: readonly IndirectTarget[];
  /** Per undefined symbol, the relocation types that reference it and how often. */
  readonly importRelocations: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** x86-64: reads of the stack canary at the fixed %gs:0x28 (fixed_percpu_data), which carry no relocation. */
  readonly fixedCanaryReads: number;
  readonly alternatives: { readonly entrySize: number | undefined; readonly features: readonly AlternativeFeatureUse[] } | undefined;
  readonly extable: ExtableFacts | undefined;
  /** .orc_header (v6.4+): the hash of the ORC format, hex. */
  readonly orcHeader: string | undefined;
  /**
   * A module's .BTF (split BTF on vmlinux's) and .BTF.base (distilled base), base64; and the
   * named types the split BTF defines itself (those whose names are its own strings).
   */
  readonly btf:
    | { readonly split: string; readonly distilledBase: string | undefined; readonly ownTypes: readonly { readonly kind: string; readonly name: string }[] }
    | undefined;
  readonly btfIds: readonly BtfIdFact[];
  readonly btfSets: readonly BtfSetFact[];
  /** Functions it calls whose declaration in its DWARF says noreturn. */
  readonly noreturnCalls: readonly string[];
  /** Functions objtool's ANNOTATE_NOENDBR marks as address-taken without a landing pad on purpose (.discard.noendbr). */
  readonly noEndbr: readonly string[];
}
