import type { FrozenUse, LinkMode } from '../facts/relink.js';
import type { Finding } from '../findings/index.js';

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
  readonly findings: readonly Finding[];
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
  readonly notCompared: readonly { readonly name: string; readonly why: string }[];
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
