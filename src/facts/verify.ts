/**
 * What `relinkable verify` established about one frozen object inside a linked file (a
 * vmlinux, or a module .ko): where each of its allocated sections went, and how the linked
 * bytes compare with the certified ones once the relocations are applied. Plain data: the
 * verify/ reader fills it, checks/verify turns it into findings, the run records it.
 * Addresses are bigints here; the run record writes them in hex.
 */

/** How an input section of the frozen object was found in the linked file. */
export type SectionPlacement =
  | {
      readonly kind: 'placed';
      readonly linkedSection: string;
      /** The input section's first byte: an address in a vmlinux, an offset in the linked section of a .ko. */
      readonly address: bigint;
      /**
       * 'symbols': the symbols both files have agree on one place; 'references': the
       * relocated fields that point into it do; 'search': the one place in its linked section
       * where its bytes, relocated there, are the linked bytes (a table of code addresses);
       * 'paired': beside the placed entries of the table it runs in step with (x86 ORC);
       * 'map': the ld map file's line for it.
       */
      readonly how: 'symbols' | 'references' | 'search' | 'paired' | 'map';
      /** How many symbols or references agreed, of how many were looked at. */
      readonly agreeing: number;
      readonly of: number;
    }
  /**
   * ld merges the section's contents with other objects' (SHF_MERGE strings or constants;
   * GNU property notes): it is not anywhere as a unit. Each reference into it is checked
   * instead: the piece it points at in the linked file holds the certified piece.
   */
  | { readonly kind: 'merged'; readonly what: 'strings' | 'constants' | 'notes' }
  /** The new linker script throws the section away (it is not in the linked file by design). */
  | { readonly kind: 'discarded'; readonly rule: string; readonly line: number }
  /**
   * A table scripts/sorttable sorts after the link (the ftrace call sites): its entries are
   * spread over the linked `table`, among other objects'. Each of its `entries` relocated
   * values was found there; the entries of its weak functions another definition
   * `overridden` are not, as sorttable zeroes them (sorted-tables.ts).
   */
  | { readonly kind: 'sorted'; readonly table: string; readonly entries: number; readonly overridden: readonly string[] }
  /** Not placed: no evidence, or evidence for more than one place; never guessed. */
  | { readonly kind: 'unplaced'; readonly reason: string };

export interface VerifiedSection {
  /** The section's index in the frozen object. */
  readonly index: number;
  readonly name: string;
  readonly size: number;
  /** PROGBITS-like sections have bytes to compare; NOBITS and notes do not. */
  readonly hasBytes: boolean;
  /** Settled in steps: by symbols and references first, by search last. */
  placement: SectionPlacement;
}

/** One relocated field whose value could not be computed: its bytes were not judged. */
export interface UnverifiedField {
  readonly section: string;
  readonly offset: number;
  readonly type: string;
  readonly symbol: string;
  readonly reason: string;
  /** The function or object holding the field, `name+0xoff`. */
  readonly within: string | undefined;
}

/** A run of bytes whose linked value is not what the certified bytes, relocated, would be. */
export interface ByteDifference {
  readonly section: string;
  /** Offset in the frozen object's section. */
  readonly offset: number;
  readonly length: number;
  /** Where the run is in the linked file (address in a vmlinux, offset in a .ko section). */
  readonly linkedSection: string;
  readonly address: bigint;
  readonly within: string | undefined;
  /** The bytes the relocated certified object gives (hex), and the linked file's. */
  readonly expected: string;
  readonly found: string;
  /**
   * 'bytes': outside any relocated field; 'relocated-field': a field holding another value
   * than the relocation computes; 'merged-piece': a field pointing into a merged section at
   * a piece other than the certified one; 'relocation-entry': a module's relocation entry
   * that differs.
   */
  readonly cause: 'bytes' | 'relocated-field' | 'merged-piece' | 'relocation-entry';
  /** A kernel build step known to write these bytes after the link (resolve_btfids, sorttable), when one is. */
  readonly buildStep: string | undefined;
  /** The relocation of the field, for a difference inside one. */
  readonly relocation: { readonly type: string; readonly symbol: string; readonly addend: bigint } | undefined;
}

/** Per compared section: its size and how many relocated fields matched the computed value. */
export interface SectionComparison {
  readonly section: string;
  readonly bytes: number;
  readonly relocatedFields: number;
  readonly differingBytes: number;
}

/** Bytes the linker put between two input sections of the object in one output section: not the object's bytes, stated. */
export interface Padding {
  readonly linkedSection: string;
  readonly after: string;
  readonly before: string;
  readonly address: bigint;
  readonly bytes: number;
  /** The padding bytes (hex), as found. */
  readonly fill: string;
}

/** A place the kernel rewrites at boot or at run time, inside the object's placed bytes. */
export interface PatchSite {
  /** The table that lists it: `.altinstructions`, `__jump_table`, `.return_sites`… */
  readonly table: string;
  readonly section: string;
  readonly offset: number;
  readonly address: bigint;
  readonly within: string | undefined;
  /** What the kernel may write there. */
  readonly writes: string;
}

export interface ObjectVerification {
  readonly object: string;
  /** 'built-in': placed in a linked executable (vmlinux); 'module': inside a relocatable .ko. */
  readonly target: 'built-in' | 'module';
  readonly sections: readonly VerifiedSection[];
  readonly compared: readonly SectionComparison[];
  readonly differences: readonly ByteDifference[];
  readonly unverified: readonly UnverifiedField[];
  readonly padding: readonly Padding[];
  /** The linked file's patch tables that were read, and the sites of theirs inside the placed bytes; undefined when none were read (a module). */
  readonly patchTables: readonly string[] | undefined;
  readonly patchSites: readonly PatchSite[] | undefined;
}

/** One vendor integrity scheme recomputed from the files (src/verify/integrity.ts). */
export interface IntegrityCheck {
  readonly scheme: 'embedded-fips140' | 'android-fips140' | 'rhel-hmac';
  /** The file the scheme protects (vmlinux, fips140.ko, vmlinuz). */
  readonly file: string;
  /** Each value the scheme stores, with the value recomputed from the files. */
  readonly items: readonly { readonly what: string; readonly expected: string; readonly found: string; readonly ok: boolean }[];
  /** Android: relocations in the hashed ranges whose type the module's in-kernel reverter refuses. */
  readonly refusedRelocations: readonly { readonly section: string; readonly offset: number; readonly type: string }[];
}

/** Amazon's placeholder ABI between a vmlinux and a fips140.ko (src/verify/placeholders.ts). */
export interface PlaceholderCheck {
  readonly module: string;
  readonly kernel: string;
  /** Placeholders both sides have. */
  readonly matched: number;
  /** The kernel's placeholders no key-table entry of the module fills: NULL when used. */
  readonly unfilled: readonly string[];
  /** Placeholders the module's key tables name and the kernel does not define. */
  readonly missing: readonly string[];
}

/** The key tables of Amazon Linux's fips140.ko: one { placeholder, target } pair of pointers per entry. */
export const FIPS140_KEY_TABLES: readonly string[] = ['__crypto_fn_keys', '__crypto_var_keys'];

/** A kernel placeholder of Amazon's scheme: __fips140_fn_ptr_<function> (DEFINE_CRYPTO_FN_REDIRECT) or __crypto_<variable>_ptr (CRYPTO_VAR_NAME). */
export function isFips140Placeholder(name: string): boolean {
  return name.startsWith('__fips140_fn_ptr_') || (name.startsWith('__crypto_') && name.endsWith('_ptr') && name.length > '__crypto__ptr'.length);
}
