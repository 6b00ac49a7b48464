import { object } from '../../schema.js';
import type { Finding } from '../../findings/index.js';
import { defineDetector, frozenEvidence, primitiveFinding } from './detector.js';

/**
 * With a build directory, who calls the frozen object's global functions in the new tree is
 * known: a function nothing references any more is dead code in the relinked kernel — a
 * self-test or an entry point the certification counts on that no longer runs.
 */
export const unreferenced = defineDetector({
  name: 'unreferenced-definitions',
  produces: ['definition-unreferenced'],
  parameters: object({}),
  run(entry, ctx): Finding[] {
    const replaced = ctx.relink.replacement;
    if (!replaced?.found || !ctx.kernel.hasBuildTree() || ctx.frozen.isModule) return [];
    const usedByFrozen = new Set(ctx.relink.others.flatMap((o) => [...o.imports.keys()]));
    const candidates = [...ctx.frozen.definitions.values()]
      .filter((d) => d.kind === 'function' && !ctx.frozen.exports.has(d.name) && !usedByFrozen.has(d.name) && !d.section.startsWith('.init'))
      .map((d) => d.name)
      .sort();
    if (candidates.length === 0) return [];
    const refs = replaced.referencesTo(new Set(candidates));
    const dead = candidates.filter((n) => !(refs.get(n)?.length));
    if (dead.length === 0) return [];
    return [
      primitiveFinding(entry, ctx, {
        id: 'definition-unreferenced',
        symbol: dead[0],
        data: { unreferenced: dead, candidates: candidates.length },
        before: `${dead.length} global function${dead.length > 1 ? 's' : ''} the frozen object defines`,
        after: 'not referenced',
        evidence: [frozenEvidence(ctx, { symbol: dead[0], detail: 'global function' }), { label: 'new kernel', detail: `no reference in ${replaced.referenceSource}` }],
      }),
    ];
  },
});
