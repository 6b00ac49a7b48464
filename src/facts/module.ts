/** What a module's .modinfo, __versions and .gnu.linkonce.this_module say (src/object/module-info.ts reads them). */

export interface VersionEntry {
  readonly name: string;
  readonly crc: number;
}

export interface ModuleInfo {
  /** A loadable module (.gnu.linkonce.this_module), not an object with modinfo that is built in. */
  readonly loadable: boolean;
  /**
   * For an object compiled built-in, the module name its .modinfo keys carry
   * ("jitterentropy_rng.license=…": include/linux/moduleparam.h, __MODULE_INFO without MODULE).
   */
  readonly builtinModule: string | undefined;
  /** .modinfo key=value pairs in file order, keys without the built-in prefix (keys repeat: alias, import_ns, …). */
  readonly fields: readonly (readonly [string, string])[];
  readonly name: string | undefined;
  readonly license: string | undefined;
  readonly vermagic: string | undefined;
  readonly importedNamespaces: readonly string[];
  /** __versions: the CRC the module was built against, per imported symbol. */
  readonly versions: readonly VersionEntry[];
  /** Size of .gnu.linkonce.this_module, i.e. sizeof(struct module) of the kernel it was built for. */
  readonly thisModuleSize: number | undefined;
}

/** Licenses the module loader treats as GPL-compatible (kernel/module: license_is_gpl_compatible). */
const GPL_COMPATIBLE = new Set(['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL']);

export function isGplCompatible(license: string | undefined): boolean {
  return license !== undefined && GPL_COMPATIBLE.has(license);
}

/**
 * A vermagic after its release (" SMP preempt mod_unload modversions "): all that
 * kernel/module/version.c same_magic compares when the module carries CRCs.
 */
export function vermagicOptions(vermagic: string): string {
  const space = vermagic.indexOf(' ');
  return vermagic.slice(space === -1 ? vermagic.length : space);
}
