import { finding, type Finding } from '../../findings/index.js';
import { definition } from '../../model/cdecl.js';
import { EXPOSURE_RANK } from '../../model/interface-comparison.js';
import { defineCheck } from '../check.js';
import { frozenSide, kernelSide, reachSites } from '../support/declaration-evidence.js';

/**
 * An enum the frozen object meets whose enumerators now have other values (or are gone):
 * the object compiled the old values in as constants. Enumerators only added are not a
 * change the old code can see.
 */
export const enumChangedCheck = defineCheck({
  name: 'enumerators',
  produces: ['enum-changed'],
  needs: ['interfaces'],
  run({ interfaces }) {
    const findings: Finding[] = [];
    for (const change of interfaces.typeChanges()) {
      if (change.source.graph.node(change.delta.after).kind !== 'enum') continue;
      const changes = change.delta.changes.filter((c) => c.kind === 'enumerator-value' || c.kind === 'enumerator-removed' || c.kind === 'size' || c.kind === 'declaration-only');
      if (changes.length === 0) continue;
      // Only the count at the end moved (new reasons before SKB_DROP_REASON_MAX): the old
      // values are all where they were, and only code that sizes or bounds by the count sees it.
      const countOnly = changes.every((c) => c.kind === 'enumerator-value' && isCount(c.path));
      // The new kernel's types hold only a declaration: its values could not be compared.
      const unknown = changes.every((c) => c.kind === 'declaration-only');
      const before = definition(change.frozenGraph, change.delta.before);
      const after = definition(change.source.graph, change.delta.after);
      findings.push(
        finding('enum-changed', { name: change.delta.name, changes }, {
          severity: change.exposure === 'closure' || countOnly || unknown ? 'review' : 'runtime',
          object: change.object.path,
          symbol: change.delta.name,
          rank: EXPOSURE_RANK[change.exposure],
          before,
          after,
          declarations: true,
          evidence: [frozenSide(change.object.path, change.frozenGraph, change.delta.before), kernelSide(change.source, change.delta.after)],
          sites: reachSites(change.object.path, interfaces.reachesOf(change)),
        }),
      );
    }
    return findings;
  },
});

/** An enumerator that counts the others (FOO_MAX, __FOO_MAX, FOO_NUM, NR_FOO, FOO_COUNT), as kernel enums end. */
function isCount(path: string | undefined): boolean {
  const name = path?.slice(path.lastIndexOf('.') + 1) ?? '';
  return /(^|_)(MAX|NUM|COUNT|NR|LAST)$/.test(name) || /^(__)?NR_/.test(name);
}
