import type { FrozenUse, LinkMode } from '../facts/relink.js';
import type { Finding, FindingId } from '../findings/index.js';
import type { Waiver } from '../facts/waiver.js';
import type { IntegrityCheck, PlaceholderCheck } from '../facts/verify.js';

export type { Waiver };

/**
 * Everything one `check` run established, as plain data: the inputs it read (with their
 * digests and identities), what each frozen object replaces, what the interface comparison
 * covered, the catalogue it used, and the findings. src/run/analyze.ts fills it while the
 * inputs are open; src/report/ renders it and reads nothing else.
 */
export interface RunRecord {
  /** How the frozen set is linked: into vmlinux, or as (into) a module. */
  readonly mode: LinkMode;
  /** Relinked by the new tree's kbuild, or (a .ko) loaded as it is: what every finding was judged under. */
  readonly use: FrozenUse;
  /** Whether the use was given on the command line, or taken from the input (.ko as is, .o relinked). */
  readonly useFrom: 'command line' | 'input';
  readonly frozen: readonly FrozenRecord[];
  readonly kernel: KernelRecord;
  readonly coverage: CoverageRecord;
  readonly catalogue: CatalogueRecord;
  /** The checks that ran, each with the finding ids it can report (JUnit: one test case per check and object). */
  readonly checks: readonly { readonly name: string; readonly produces: readonly FindingId[] }[];
  readonly findings: readonly Finding[];
  /** Every file the run read, in the order first opened: nothing listed that was not read. */
  readonly inputs: readonly InputRecord[];
  /** What made the report: relinkable's version and commit, the Node version. */
  readonly tool: ToolRecord;
  /** The time the run judged at (waiver expiry, the attestation); null when nothing asked for one. */
  readonly time: TimeRecord | null;
  /** The waivers file and what became of each waiver; null without --waivers. */
  readonly waivers: WaiversRecord | null;
}

/** One file the run read. */
export interface InputRecord {
  /** As given, or as found under a path given (--kernel DIR/…); relative to the working directory when under it, `~/…` under the home directory. */
  readonly path: string;
  /** "frozen object", "vmlinux", "Module.symvers", ".config", "System.map", "linker script", "vmlinux.a", "reference object", "built-with kernel", "catalogue", "waivers", "kernel file". */
  readonly role: string;
  readonly size: number;
  /** Null when the run was not asked for digests (the text report: vmlinux alone is hundreds of MB). */
  readonly sha256: string | null;
  /** vmlinux's GNU build-id. */
  readonly buildId?: string | null;
}

export interface ToolRecord {
  readonly version: string;
  /** The git commit relinkable ran from, when run from a checkout; null from a package. */
  readonly commit: string | null;
  readonly node: string;
}

export interface TimeRecord {
  /** ISO 8601, UTC, whole seconds. */
  readonly at: string;
  /** Where the time came from: the SOURCE_DATE_EPOCH environment variable, --now, or the system clock. */
  readonly source: 'SOURCE_DATE_EPOCH' | '--now' | 'clock';
}

export interface WaiversRecord {
  readonly path: string;
  readonly sha256: string;
  readonly waivers: readonly Waiver[];
  /** For each finding (by its index in RunRecord.findings) the index of the waiver that waives it, or null. */
  readonly applied: readonly (number | null)[];
  /** Waivers past their expiry: they waive nothing. */
  readonly expired: readonly number[];
  /** Waivers in force that matched no finding. */
  readonly stale: readonly number[];
}

export interface FrozenRecord {
  /** As given on the command line. */
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  /** "x86-64", "AArch64". */
  readonly machine: string;
  /** A .ko's module name; null for an object to relink. */
  readonly module: string | null;
  readonly compileUnits: readonly string[];
  readonly replaces:
    | { readonly found: true; readonly name: string; readonly how: string; readonly target: string }
    | { readonly found: false; readonly reason: string };
}

export interface KernelRecord {
  /** "build-dir", "debian", "files". */
  readonly layout: string;
  readonly root: string | null;
  /** From vmlinux's linux_banner, else the Debian ABI directory name. */
  readonly release: string | null;
  readonly vmlinux: { readonly path: string; readonly buildId: string | null };
  readonly symvers: string | null;
  readonly config: string | null;
  readonly systemMap: string | null;
  readonly linkerScript: string | null;
  readonly vmlinuxArchive: string | null;
  /** Where the exports were read: "Module.symvers" or "vmlinux __ksymtab". */
  readonly exportsFrom: string;
  /** What kind of kernel input this was, and what it could not answer. */
  readonly input: KernelInputRecord;
}

/**
 * A full kernel is a vmlinux with its .symtab (or System.map) and DWARF (a build directory,
 * Debian's -dbg package); a light one is what a distribution's image and headers packages
 * carry: a vmlinux decompressed out of vmlinuz, symbols from its kallsyms, types from BTF.
 */
export interface KernelInputRecord {
  readonly kind: 'full' | 'light';
  /** vmlinux: a file, or decompressed out of a vmlinuz with "gzip", "xz", "zstd" or "lz4". */
  readonly image: 'vmlinux' | 'vmlinuz';
  readonly compression: string | null;
  /** Where the symbols came from: ".symtab", "System.map" or "kallsyms". */
  readonly symbols: string;
  /** vmlinux's type information: "BTF", "DWARF". */
  readonly types: readonly string[];
  /** What a full kernel (the -dbg package) would have let the run check, and this one could not; empty for a full kernel. */
  readonly lacking: readonly string[];
}

/** What the interface comparison covered, and what it could not compare, with why. */
export interface CoverageRecord {
  readonly sources: readonly string[];
  readonly functions: CoverageCount;
  readonly variables: CoverageCount;
  readonly ownedTypes: CoverageCount;
  /** Frozen objects without DWARF: nothing of their interface could be compared. */
  readonly withoutDwarf: readonly string[];
}

export interface CoverageCount {
  readonly compared: number;
  /** Each with the frozen object it is of (a set of objects can import the same name twice). */
  readonly notCompared: readonly { readonly object: string; readonly name: string; readonly why: string }[];
}

export interface CatalogueRecord {
  readonly version: string;
  readonly digest: string;
  readonly entries: number;
  /** The catalogue directory when given with --signatures; null for the bundled one. */
  readonly directory: string | null;
  /**
   * Entries that run on x86-64 but not on a frozen object's architecture, each with why (its
   * counterpart there, or what is not checked); absent for x86-64 objects.
   */
  readonly notChecked?: readonly { readonly architecture: string; readonly id: string; readonly why: string }[];
}

/**
 * Everything one `verify` run established: the linked file, each frozen object's sections
 * and where they went, what was compared, the boot-time patch sites inside the placed bytes,
 * and the findings (src/run/verify.ts fills it). Addresses are hex strings.
 */
export interface VerifyRecord {
  readonly tool: { readonly version: string; readonly commit: string | null; readonly node: string };
  /** null when only vendor integrity schemes were checked. */
  readonly linked: {
    readonly path: string;
    /** 'vmlinux' (a linked executable) or 'module' (a relocatable .ko). */
    readonly kind: 'vmlinux' | 'module';
    readonly size: number;
    readonly buildId: string | null;
    readonly machine: string;
    /** The linker script that said which sections are discarded; null when none was read. */
    readonly linkerScript: string | null;
  } | null;
  readonly objects: readonly VerifiedObjectRecord[];
  /** The vendor integrity schemes recomputed from the files. */
  readonly integrity: readonly IntegrityCheck[];
  /** Amazon's placeholder ABI between the linked vmlinux and a fips140.ko, when checked. */
  readonly placeholders: PlaceholderCheck | null;
  readonly findings: readonly Finding[];
  /** Every file the run opened, with its role (and sha256 when digests were asked for). */
  readonly inputs: readonly InputRecord[];
  /** The time the run was made at, when asked for (the evidence formats). */
  readonly time: TimeRecord | null;
}

export interface VerifiedObjectRecord {
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  readonly sections: readonly {
    readonly name: string;
    readonly size: number;
    /** placed (with where and how), merged, discarded or unplaced. */
    readonly placement: string;
    readonly linkedSection: string | null;
    readonly address: string | null;
  }[];
  readonly compared: readonly { readonly section: string; readonly bytes: number; readonly relocatedFields: number; readonly differingBytes: number }[];
  /** Sum over the compared sections. */
  readonly bytesCompared: number;
  readonly relocatedFields: number;
  readonly padding: readonly { readonly linkedSection: string; readonly after: string; readonly before: string; readonly address: string; readonly bytes: number; readonly fill: string }[];
  /** The linked file's patch tables that were read; null when none were (a module). */
  readonly patchTables: readonly string[] | null;
  /** Their entries inside the object's placed bytes; null when no table was read. */
  readonly patchSites: readonly { readonly table: string; readonly section: string; readonly offset: string; readonly address: string; readonly within: string | null; readonly writes: string }[] | null;
}
