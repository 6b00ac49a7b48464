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
  /** The CRC the module was built against, per imported symbol: from __versions, else from the extended tables. */
  readonly versions: readonly VersionEntry[];
  /**
   * Which modversions tables the module carries: `basic` (__versions, 64-byte entries) and
   * `extended` (__version_ext_crcs + __version_ext_names, v6.14, for names of any length).
   * Undefined from a snapshot that did not record it.
   */
  readonly versionTables?: readonly ('basic' | 'extended')[] | undefined;
  /** Size of .gnu.linkonce.this_module, i.e. sizeof(struct module) of the kernel it was built for. */
  readonly thisModuleSize: number | undefined;
  /** The signature appended to the .ko; undefined when it has none (or, from a snapshot, when it was not recorded). */
  readonly signature?: ModuleSignature | undefined;
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

/** Who signed a module, as PKCS#7 names the signer: issuer and serial of its certificate, or its subject key id. */
export type ModuleSignerId =
  | { readonly kind: 'issuer-serial'; readonly issuer: string; readonly issuerText: string; readonly serial: string }
  | { readonly kind: 'key-id'; readonly keyId: string };

/**
 * The signature appended to a .ko (scripts/sign-file.c: PKCS#7, struct module_signature,
 * "~Module signature appended~\n"), as the loader reads it. `problem` when it is there but
 * cannot be read (the loader refuses it as it refuses a bad signature).
 */
export type ModuleSignature =
  | {
      readonly readable: true;
      /** Bytes of PKCS#7 data. */
      readonly bytes: number;
      readonly signers: readonly {
        readonly id: ModuleSignerId;
        readonly digestAlgorithm: string;
        readonly signatureAlgorithm: string;
        /** Hex digest of what the signature covers (the module's bytes before the signature, or the signed attributes). */
        readonly signedDigest: string;
        readonly contentDigestMatches: boolean;
        readonly signature: string;
      }[];
    }
  | { readonly readable: false; readonly problem: string };

/** A signer for people: its issuer's name and the serial, or its key id (matching uses the DER). */
export function signerText(id: ModuleSignerId): string {
  return id.kind === 'key-id' ? `key id ${id.keyId}` : `${id.issuerText || 'an issuer'}, serial ${id.serial}`;
}
