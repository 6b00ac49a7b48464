import { finding, type Finding } from '../../findings/index.js';
import { prototype } from '../../model/cdecl.js';
import { defineCheck } from '../check.js';
import { frozenSide, kernelSide } from '../support/declaration-evidence.js';

/**
 * A function the frozen object calls, or defines for the new kernel to call, whose
 * arguments or result travel differently at the machine level: another register or stack
 * slot, another width, an aggregate of another size, another count. Differences of pointee
 * layout are layout-changed's; a typedef renamed over the same layout moves nothing and is
 * not reported.
 */
export const prototypeChangedCheck = defineCheck({
  name: 'prototypes',
  produces: ['prototype-changed'],
  needs: ['interfaces'],
  run({ interfaces }) {
    const findings: Finding[] = [];
    for (const pair of interfaces.functions()) {
      if (!pair.after || !pair.source || !pair.call || pair.call.differences.length === 0) continue;
      const before = prototype(pair.before.graph, pair.before.type, pair.name);
      const after = prototype(pair.after.graph, pair.after.type, pair.name);
      findings.push(
        finding('prototype-changed', { name: pair.name, direction: pair.direction, differences: pair.call.differences }, {
          severity: 'runtime',
          object: pair.object.path,
          symbol: pair.name,
          rank: 1,
          before,
          after,
          declarations: true,
          evidence: [frozenSide(pair.object.path, pair.before.graph, pair.before.type), kernelSide(pair.source, pair.after.type)],
        }),
      );
    }
    return findings;
  },
});
