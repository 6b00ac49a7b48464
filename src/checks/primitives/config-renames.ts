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
