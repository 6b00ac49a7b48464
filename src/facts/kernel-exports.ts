/** The new kernel's exports, as Module.symvers or vmlinux's __ksymtab list them (src/kernel/ reads both). */

export type ExportType = 'EXPORT_SYMBOL' | 'EXPORT_SYMBOL_GPL' | 'EXPORT_SYMBOL_GPL_FUTURE' | 'EXPORT_UNUSED_SYMBOL' | 'EXPORT_UNUSED_SYMBOL_GPL';

export interface ExportedSymbol {
  readonly name: string;
  /** Modversions CRC; undefined when the kernel was built without CONFIG_MODVERSIONS (0x00000000). */
  readonly crc: number | undefined;
  /** "vmlinux" or the module path without .ko, e.g. "crypto/jitterentropy_rng". */
  readonly module: string;
  readonly exportType: ExportType;
  readonly namespace: string | undefined;
  readonly gplOnly: boolean;
  /** Line in Module.symvers, for evidence. */
  readonly line: number;
}

/** The exports of the new kernel, wherever they were read from. */
export interface ExportTable {
  get(name: string): ExportedSymbol | undefined;
  has(name: string): boolean;
  names(): Iterable<string>;
  /** Every export of one module ("vmlinux", "crypto/gcm"). */
  ofModule(module: string): ExportedSymbol[];
  readonly size: number;
}
