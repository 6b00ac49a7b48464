import type { Finding, FindingId } from '../findings/index.js';
import type { LinkModel } from '../model/link.js';

/** One check: a small module that reads the model and returns findings of the kinds it declares. */
export interface Check {
  readonly name: string;
  readonly produces: readonly FindingId[];
  run(model: LinkModel): Finding[];
}

export function defineCheck(check: Check): Check {
  return check;
}
