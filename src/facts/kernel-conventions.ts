import type { ObjectConventions } from './object-conventions.js';
import type { FrozenObject } from './frozen-object.js';
import type { KernelVersion } from './kernel-version.js';
import type { ModuleSignerId } from './module.js';
import type { CpuFeatureTable, ExtableTypes } from './x86-headers.js';
import type { TypeGraph, TypeRef } from '../graph/type-graph.js';

/**
 * The build-primitive detectors' port to the kernels: what they may ask of the new kernel's
 * build conventions (KernelConventions) and of the kernel the frozen objects were compiled in
 * (OriginConventions, --built-with), each answer plain data. src/kernel/conventions.ts
 * implements both by reading the kernels' files; a test answers from an object literal.
 */

/** Where a fact about the new kernel was read: a file, and what in it. */
export interface Source {
  readonly file: string | undefined;
  readonly what: string;
}

/** A Kconfig option as the new kernel's .config sets it, under the name that .config uses. */
export interface ConfigOption {
  readonly name: string;
  readonly value: string;
}

/** Old-to-new Kconfig names (v6.9 mitigation renames): looking an option up tries each name it has had. */
export type ConfigRenames = readonly { readonly old: string; readonly new: string }[];

/** A reference object: the frozen object's source compiled by the new kernel's build. */
export interface ReferenceObject {
  readonly path: string;
  /** How it was found: --reference, the same path in the build directory, or the new kernel's module of the same name. */
  readonly how: 'given' | 'same-path' | 'module';
  readonly conventions: ObjectConventions;
  readonly producer: string | undefined;
  readonly thisModuleSize: number | undefined;
  readonly vermagic: string | undefined;
}

/** A struct of the new kernel: its size and member offsets, and where they were read. */
export interface KernelStruct {
  readonly size: number;
  readonly members: readonly { readonly name: string; readonly bitOffset: number }[];
  readonly source: Source;
}

/** Which link of the new kernel a frozen object joins, and so which linker script places its sections. */
export type LinkTarget = 'vmlinux' | 'module';

/**
 * Where the new kernel's linker script puts an input section (ld's rules, read by
 * src/kernel/linker-script/place.ts), with the words that say so.
 */
export type SectionPlacement = { readonly description: string } & (
  | {
      readonly kind: 'placed';
      readonly output: string;
      readonly line: number;
      /** The symbol pairs bracketing the rule, innermost first: `__start_once..__end_once`. */
      readonly ranges: readonly string[];
    }
  | { readonly kind: 'discarded'; readonly line: number }
  | { readonly kind: 'orphan' }
);

/** How many types and bytes of strings vmlinux's .BTF holds. */
export interface BtfSummary {
  readonly types: number;
  readonly stringBytes: number;
}

/**
 * Whether a module's split BTF fits the new vmlinux BTF (src/btf/split.ts and
 * src/btf/distilled.ts decide): it does; types of its distilled base (.BTF.base) that do not
 * relocate by name; a .BTF that cannot be read at all; or the anomalies that show it was
 * built on another base.
 */
export type SplitBtfFit =
  | { readonly fits: true }
  | {
      readonly fits: false;
      readonly how: 'distilled-base';
      /** Types in the distilled base. */
      readonly distilledTypes: number;
      readonly unmatched: readonly { readonly kind: string; readonly name: string; readonly status: string }[];
    }
  | { readonly fits: false; readonly how: 'unreadable'; readonly problem: string }
  | {
      readonly fits: false;
      readonly how: 'other-base';
      /** Per kind of anomaly, how many were seen. */
      readonly counts: Readonly<Record<string, number>>;
      /** The base string length the split BTF was built against, when it could be recovered. */
      readonly builtAgainstStrings: number | undefined;
      readonly ownTypes: number;
      readonly minBaseTypes: number;
      readonly baseStrings: number;
      readonly baseTypes: number;
      /** A few anomalies, each with the split type it was seen at. */
      readonly examples: readonly { readonly id: number | undefined; readonly problem: string; readonly detail: string }[];
    };

/** vmlinux BTF as a type graph, for comparing a frozen object's types with it. */
export interface KernelBtfTypes {
  /** Where it was read, for evidence ("vmlinux .BTF"). */
  readonly source: Source;
  readonly graph: TypeGraph;
  /** The struct or union definitions (not FWDs) named `name`, in BTF id order: more than one when vmlinux BTF already holds the name twice. */
  definitions(kind: 'struct' | 'union', name: string): readonly TypeRef[];
}

/**
 * A BTF_ID entry of vmlinux: a `__BTF_ID__<kind>__<name>__<n>` symbol in .BTF_ids, which
 * resolve_btfids fills with the BTF id of the type or function `name`, and the set or list
 * it is in, when the symbols around it tell.
 */
export interface KernelBtfIdEntry {
  readonly symbol: string;
  /** struct, union, typedef or func. */
  readonly kind: string;
  readonly name: string;
  /** Its address, hex. */
  readonly address: string;
  /** The BTF_SET_START / BTF_SET8_START set or BTF_ID_LIST list it belongs to. */
  readonly set: { readonly name: string; readonly kind: 'set' | 'set8' | 'list' } | undefined;
}

/** What the module loader does with a module whose signature it cannot verify (CONFIG_MODULE_SIG_FORCE, lockdown decide); `unknown` without a .config. */
export type SignatureConsequence = 'refused' | 'refused-under-secure-boot' | 'tainted' | 'unknown';

/** What the module loader does with a module whose split BTF does not fit (CONFIG_MODULE_ALLOW_BTF_MISMATCH decides); `unknown` without a .config. */
export type SplitBtfConsequence = 'refused' | 'loads-without-btf' | 'loads-with-wrong-types' | 'unknown';

/** A key vmlinux carries built in, as a module signature's signer is matched against it. */
export interface BuiltinKey {
  /** The certificate's subject, one line. */
  readonly subject: string;
  readonly serial: string;
}

/**
 * Whether vmlinux's built-in keys include a module signer's: the key (matched by issuer and
 * serial, or subject key id, as the keyring looks keys up) and whether the signature verifies
 * with it (undefined when relinkable cannot verify that algorithm); `none` when no built-in
 * key is the signer's.
 */
export type SignerKey = { readonly found: true; readonly key: BuiltinKey; readonly verifies: boolean | undefined } | { readonly found: false };

/**
 * The new kernel as the primitive detectors see it: its release and config (with renamed
 * options followed), which symbols it defines, the structs that fix special-section formats,
 * its headers (cpufeatures.h, extable types), ORC header, BTF, linker scripts and compiler
 * flags, and the reference object of each frozen object. Whatever is not asked is not read.
 */
export interface KernelConventions {
  /** vmlinux, for evidence. */
  readonly vmlinuxFile: string;
  /** The .config, for evidence; undefined without one. */
  readonly configFile: string | undefined;
  /** The release, read as a version; undefined when it is not known. */
  version(): KernelVersion | undefined;
  /** The option under whichever name this kernel's .config uses (MITIGATION_RETPOLINE or RETPOLINE); undefined without a .config. */
  option(name: string): ConfigOption | undefined;
  /** The first of `names` enabled (y or m), or undefined. Throws a UsageError when there is no .config: a detector must not guess. */
  enabled(names: readonly string[]): ConfigOption | undefined;
  /** The vermagic the new kernel's modules carry, computed from the release and .config; undefined when the .config cannot tell. */
  vermagic(architecture: string): { readonly text: string; readonly source: Source } | undefined;
  /** Whether vmlinux defines `name` (a global) or the kernel exports it. */
  defines(name: string): boolean;
  /** A struct of the new kernel, from vmlinux BTF. */
  struct(name: string): KernelStruct | undefined;
  /** vmlinux's .BTF in numbers; undefined when vmlinux has none. */
  btf(): BtfSummary | undefined;
  /** The ids of the types named `name` in vmlinux BTF (of one kind: struct, union, typedef, func), ascending. */
  btfIdsNamed(name: string, kind?: string): readonly number[];
  /** The name of vmlinux BTF type `id` ('' when anonymous); undefined when there is no such id. */
  btfTypeName(id: number): string | undefined;
  /**
   * Whether a module's split BTF (base64), with its distilled base when it has one, fits
   * vmlinux BTF; `file` is the module, `examples` bounds the anomalies kept. Asked only when
   * btf() is not undefined.
   */
  splitBtfFit(split: string, distilledBase: string | undefined, file: string, examples: number): SplitBtfFit;
  /** vmlinux's .BTF as a type graph; undefined when vmlinux has none. */
  btfTypes(): KernelBtfTypes | undefined;
  /**
   * Whether a struct or union of the new kernel stays defined once `frozen` takes the place
   * of the unit it replaces: whether a unit of vmlinux other than that one defines it
   * (vmlinux DWARF). true when the frozen object replaces no unit of vmlinux; undefined when
   * vmlinux has no DWARF to tell.
   */
  definedBesidesReplaced(frozen: FrozenObject, kind: 'struct' | 'union', name: string): boolean | undefined;
  /** The BTF_ID entries of vmlinux (its symbols in .BTF_ids), in address order; undefined when vmlinux has no .BTF_ids. */
  btfIdEntries(): { readonly entries: readonly KernelBtfIdEntry[]; readonly source: Source } | undefined;
  /** Whether vmlinux's DWARF marks a function it defines noreturn; undefined without DWARF or when the function is not found there. */
  noreturnInDwarf(name: string): boolean | undefined;
  /** A cpufeatures.h of the new kernel (arch/x86/include/asm/cpufeatures.h). */
  cpufeatures(relPath: string): CpuFeatureTable | undefined;
  /** The new kernel's extable_fixup_types.h. */
  extableTypes(): ExtableTypes | undefined;
  /** vmlinux's .orc_header hash (v6.4+). */
  orcHeader(): string | undefined;
  /** Names of vmlinux's sections (its output sections). */
  sectionNames(): ReadonlySet<string>;
  /** The linker script that places a link's sections (arch/<arch>/kernel/vmlinux.lds, scripts/module.lds); undefined when the kernel has none. */
  linkerScript(target: LinkTarget): string | undefined;
  /**
   * Where that linker script puts section `section` of the object the linker knows as
   * `object` (a member of vmlinux.a when the kernel links through it). Asked only when
   * linkerScript(target) names a script.
   */
  placement(target: LinkTarget, object: string, section: string): SectionPlacement;
  /** Whether an input-section pattern of ld's (`.exit.*`, `.discard.[a-z]*`) matches a section name, as the linker-script reader matches them. */
  sectionPatternMatches(pattern: string, section: string): boolean;
  /** Whether the new kernel is a build directory, which can tell every reference to a symbol. */
  hasBuildTree(): boolean;
  /** How the new kernel compiles the frozen object's source; `specific` when it is this object's own flags, not the kernel-wide ones. */
  compilerFlags(frozen: FrozenObject): { readonly text: string; readonly source: Source; readonly specific: boolean } | undefined;
  /** The reference object of a frozen object, when there is one. */
  reference(frozen: FrozenObject): ReferenceObject | undefined;
  /** The keys vmlinux carries built in (system_certificate_list); undefined when it has no such list. */
  builtinKeys(): { readonly keys: readonly BuiltinKey[]; readonly source: Source } | undefined;
  /** The built-in key of a module signature's signer, and whether its signature of `signedDigest` verifies. Asked only when builtinKeys() is defined. */
  signerKey(signer: { readonly id: ModuleSignerId; readonly digestAlgorithm: string; readonly signedDigest: string; readonly signature: string }): SignerKey;
}

/** The kernel the frozen objects were compiled in (--built-with): what its headers meant. */
export interface OriginConventions {
  cpufeatures(relPath: string): CpuFeatureTable | undefined;
  extableTypes(): ExtableTypes | undefined;
}
