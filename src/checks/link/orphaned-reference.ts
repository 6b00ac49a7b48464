import type { Finding } from '../../findings/index.js';
import { defineCheck } from '../check.js';
import { referrer } from '../support/evidence.js';

/**
 * What the replaced object defined and the frozen one does not, the rest of the new kernel
 * may still need: the link then fails in someone else's code.
 */
export const orphanedReferenceCheck = defineCheck({
  name: 'references to what the replaced object defined',
  produces: ['orphaned-reference'],
  needs: ['link'],
  run({ link }) {
    const findings: Finding[] = [];
    for (const r of link.replaced()) {
      const missing = new Set([...r.definitions.keys()].filter((n) => !link.definedByFrozen(n)));
      const refs = r.referencesTo(missing);
      for (const name of [...refs.keys()].sort()) {
        const users = refs.get(name)!;
        findings.push({
          id: 'orphaned-reference',
          severity: 'link',
          object: r.frozen.path,
          symbol: name,
          message: `${users.map((u) => u.unit).filter((u, i, a) => a.indexOf(u) === i).slice(0, 3).join(', ')}${users.length > 3 ? ', …' : ''} ${users.length === 1 ? 'uses' : 'use'} ${name}, which only ${r.name} defined and the frozen object does not`,
          before: `defined by ${r.name} in the new kernel`,
          after: 'defined by nothing after the relink',
          evidence: [
            { label: 'replaced', file: r.name, symbol: name, detail: `defined here; replaced by ${r.frozen.path}` },
            ...users.slice(0, 5).map((u) => referrer(u, r.referenceSource)),
          ],
        });
      }
      if (r.how === 'module-name') {
        const frozenExports = new Set(r.frozen.exports.keys());
        for (const name of [...r.exports].filter((n) => !frozenExports.has(n)).sort()) {
          findings.push({
            id: 'orphaned-reference',
            severity: 'review',
            object: r.frozen.path,
            symbol: name,
            message: `the new kernel's ${r.name} exports ${name} and the frozen module does not: any module that imports it will fail to load`,
            before: `exported by ${r.name}`,
            after: 'not exported after the replacement',
            evidence: [{ label: 'replaced', file: r.name, symbol: name, detail: r.referenceSource }],
          });
        }
      }
    }
    return findings;
  },
});
