import { finding, type Finding } from '../../findings/index.js';
import { defineCheck } from '../check.js';
import { referrer } from '../support/evidence.js';

/**
 * What the replaced object defined and the frozen one does not, the rest of the new kernel
 * may still need: the link then fails in someone else's code (one finding per symbol, each
 * its own link error). What a replaced module exports and the frozen one does not is one
 * finding, each export a site.
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
        const referringUnits = [...new Set(users.map((u) => u.unit))];
        findings.push(
          finding('orphaned-reference', { case: 'referenced', name, replaced: r.name, referringUnits, references: users.length }, {
            severity: 'link',
            object: r.frozen.path,
            symbol: name,
            before: `defined by ${r.name} in the new kernel`,
            after: 'defined by nothing after the relink',
            evidence: [
              { label: 'replaced', file: r.name, symbol: name, detail: `defined here; replaced by ${r.frozen.path}` },
              ...users.slice(0, 5).map((u) => referrer(u, r.referenceSource)),
            ],
          }),
        );
      }
      if (r.how === 'module-name') {
        // One finding per replaced module: what it exports and the frozen module does not.
        const frozenExports = new Set(r.frozen.exports.keys());
        const names = [...r.exports].filter((n) => !frozenExports.has(n)).sort();
        if (names.length === 0) continue;
        findings.push(
          finding('orphaned-reference', { case: 'exported', names, replaced: r.name }, {
            severity: 'review',
            object: r.frozen.path,
            symbol: names.length === 1 ? names[0] : undefined,
            before: `exported by ${r.name}`,
            after: 'not exported after the replacement',
            evidence: [],
            sites: names.map((name) => ({ symbol: name, evidence: [{ label: 'replaced', file: r.name, symbol: name, detail: r.referenceSource }] })),
          }),
        );
      }
    }
    return findings;
  },
});
