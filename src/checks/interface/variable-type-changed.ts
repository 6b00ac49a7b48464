import { finding, type Finding } from '../../findings/index.js';
import { declare } from '../../model/cdecl.js';
import { ClosureComparison } from '../../model/compare.js';
import { resolved } from '../../graph/type-graph.js';
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
      // `extern const int sysctl_vals[];` declares the array the kernel defines with 12
      // elements: an unknown bound is no length to differ from.
      const changes = own?.changes.filter((c) => c.kind !== 'char-signedness' && c.kind !== 'enumerator-added' && !(c.kind === 'array-length' && !c.path && c.before === '[]')) ?? [];
      if (changes.length === 0) continue;
      // A struct or union variable is read at the offsets of the members the object names;
      // which those are, its files do not say: a moved member is for a human. A scalar or
      // pointer variable of another width or kind is read wrong for certain.
      const aggregate = ['struct', 'union'].includes(resolved(v.before.graph, v.before.type).node.kind) && !changes.some((c) => c.kind === 'kind' && !c.path);
      const before = declare(v.before.graph, v.before.type, v.name);
      const after = declare(v.after.graph, v.after.type, v.name);
      findings.push(
        finding('variable-type-changed', { name: v.name, changes }, {
          severity: aggregate ? 'review' : 'runtime',
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
