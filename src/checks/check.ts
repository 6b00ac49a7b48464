import type { Catalogue } from '../catalogue/catalogue.js';
import type { KernelConventions, OriginConventions } from '../facts/kernel-conventions.js';
import type { KernelSymbols } from '../facts/kernel-symbols.js';
import type { Finding, FindingId } from '../findings/index.js';
import type { InterfaceComparison } from '../model/interface-comparison.js';
import type { LinkModel } from '../model/link.js';

/**
 * Everything a check may read, each a plain fact or a model of the relink; a check names the
 * ones it needs and receives only those (a test hands it just those, as plain data).
 */
export interface CheckInputs {
  /** The relink: frozen objects, what they replace, where each symbol resolves (model/link.ts). */
  readonly link: LinkModel;
  /** The new kernel's symbols and exports. */
  readonly kernel: KernelSymbols;
  /** What the frozen objects were compiled against, paired with the new kernel's view (model/interface-comparison.ts). */
  readonly interfaces: InterfaceComparison;
  /** The build-primitive catalogue, the new kernel's build conventions, and the kernel the objects came from (--built-with). */
  readonly primitives: {
    readonly catalogue: Catalogue;
    readonly conventions: KernelConventions;
    readonly origin: OriginConventions | undefined;
  };
}

export type CheckInput = keyof CheckInputs;

/** One check: a small module that reads the inputs it declares and returns findings of the kinds it declares. */
export interface Check<K extends CheckInput = CheckInput> {
  readonly name: string;
  readonly produces: readonly FindingId[];
  readonly needs: readonly K[];
  run(inputs: Pick<CheckInputs, K>): Finding[];
}

export function defineCheck<const K extends CheckInput>(check: Check<K>): Check {
  return check as unknown as Check;
}
