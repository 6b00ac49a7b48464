import type { Catalogue, CatalogueEntry } from '../../catalogue/catalogue.js';
import type { ConfigRenames } from '../../facts/kernel-conventions.js';
import { list, object, str } from '../../schema.js';
import { defineDetector } from './detector.js';

/**
 * Kconfig options renamed between versions (v6.9: RETPOLINE → MITIGATION_RETPOLINE, …).
 * Not a finding of its own: the engine reads this entry's pairs so that every other
 * detector finds an option under whichever name the new kernel's .config uses.
 */
export const configRenames = defineDetector({
  name: 'config-renames',
  produces: [],
  parameters: object({ renames: list(object({ old: str(), new: str() }), 1) }),
  run() {
    return [];
  },
});

/** The config renames every detector's option lookups follow: the pairs of the catalogue's config-renames entries. */
export function configRenamesOf(catalogue: Catalogue): ConfigRenames {
  return catalogue.entries
    .filter((e) => e.detector === configRenames.name)
    .flatMap((e) => (e as CatalogueEntry<{ renames: { old: string; new: string }[] }>).parameters.renames);
}
