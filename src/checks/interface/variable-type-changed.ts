import { finding, type Finding } from '../../findings/index.js';
import { declare } from '../../model/cdecl.js';
import { ClosureComparison } from '../../model/compare.js';
import { defineCheck } from '../check.js';
import { frozenSide, kernelSide } from '../support/declaration-evidence.js';

/** An imported variable whose type is no longer what the frozen object reads and writes. */
export const variableTypeChangedCheck = defineCheck({
  name: 'imported variables',
  produces: ['variable-type-changed'],
  needs: ['interfaces'],
  run({ interfaces }) {
    const findings: Finding[] = [];
    for (const v of interfaces.variables()) {
      if (!v.after || !v.source) continue;
      // Only the variable's own type: aggregates it reaches are layout-changed's.
      const cmp = new ClosureComparison(v.before.graph, v.after.graph);
      const own = cmp.run([{ label: v.name, before: v.before.type, after: v.after.type, owned: false }]).find((d) => d.reach.depth === 0 && d.reach.via === v.name);
      const changes = own?.changes.filter((c) => c.kind !== 'char-signedness' && c.kind !== 'enumerator-added') ?? [];
      if (changes.length === 0) continue;
      const before = declare(v.before.graph, v.before.type, v.name);
      const after = declare(v.after.graph, v.after.type, v.name);
      findings.push(
        finding('variable-type-changed', { name: v.name, changes }, {
          severity: 'runtime',
          object: v.object.path,
          symbol: v.name,
          rank: 0,
          before,
          after,
          declarations: true,
          evidence: [frozenSide(v.object.path, v.before.graph, v.before.type), kernelSide(v.source, v.after.type)],
        }),
      );
    }
    return findings;
  },
});
