import { runTarget } from './contract.js';
import { TARGETS } from './targets/index.js';

/**
 * The module the engine loads (jazzer.js calls `fuzz` with each input); which target it
 * drives is RELINKABLE_FUZZ_TARGET, set by fuzz/run.ts.
 */
const name = process.env.RELINKABLE_FUZZ_TARGET;
const target = TARGETS.find((t) => t.name === name);
if (!target) throw new Error(`RELINKABLE_FUZZ_TARGET: ${name ?? '(unset)'} is none of ${TARGETS.map((t) => t.name).join(', ')}`);

export function fuzz(data: Buffer): void | Promise<void> {
  return runTarget(target!, data);
}
