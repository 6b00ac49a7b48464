import { finding, type Evidence, type Finding } from '../../findings/index.js';
import { renameCandidates, signatureOf, type CandidatePrototypes } from '../support/candidates.js';
import { defineCheck } from '../check.js';
import { referenceSites } from '../support/evidence.js';

/** A candidate at least this likely is called a rename rather than merely the closest name. */
const LIKELY_RENAME = 0.8;

/**
 * Every undefined symbol of a frozen object must be defined after the relink: by another
 * frozen object, by the rest of the new kernel (not by what the frozen object replaces),
 * or, for a module, by an export.
 */
export const undefinedSymbolCheck = defineCheck({
  name: 'undefined symbols',
  produces: ['undefined-symbol', 'unresolved-weak-reference'],
  needs: ['link', 'kernel', 'interfaces'],
  run({ link, kernel, interfaces }) {
    const findings: Finding[] = [];
    for (const obj of link.frozen) {
      for (const imp of obj.imports.values()) {
        const r = link.resolve(imp.name, obj);
        if (r.by !== 'nothing') continue;
        const evidence: Evidence[] = referenceSites(obj, imp);
        if (r.onlyInReplaced) {
          evidence.push({
            label: 'new kernel',
            file: r.onlyInReplaced.name,
            symbol: imp.name,
            detail: `defined only by ${r.onlyInReplaced.name}, which this object replaces`,
          });
        }
        for (const s of r.staticIn.slice(0, 3)) {
          const { file, section, location } = kernel.whereDefined(s);
          evidence.push({
            label: 'new kernel',
            file,
            section,
            symbol: s.name,
            location,
            detail: `exists only as a local (static) ${s.type === 'func' ? 'function' : 'object'}`,
          });
        }
        // A function's candidates are ranked by their prototypes too: the frozen object's
        // declaration against the new kernel's (BTF or DWARF, as for prototype-changed).
        const declared = imp.kind !== 'data' ? obj.compiledAgainst?.declaredFunction(imp.name) : undefined;
        const missing = declared && signatureOf(declared);
        const prototypes: CandidatePrototypes | undefined = missing && {
          missing,
          of: (name) => {
            const now = interfaces.newFunction(name);
            return now && signatureOf(now);
          },
        };
        const candidates = renameCandidates(imp.name, imp.kind, link.linkableNames(), (n) => link.kindOf(n), 3, prototypes);
        if (imp.weak) {
          findings.push(
            finding('unresolved-weak-reference', { name: imp.name, linkMode: link.mode }, { severity: 'runtime', object: obj.path, symbol: imp.name, evidence, candidates }),
          );
          continue;
        }
        const data = { name: imp.name, linkMode: link.mode, staticDefinitions: r.staticIn.length, onlyInReplaced: r.onlyInReplaced?.name };
        findings.push(
          finding('undefined-symbol', data, {
            severity: 'link',
            object: obj.path,
            symbol: imp.name,
            before: `${imp.kind === 'unknown' ? 'symbol' : imp.kind} ${imp.name} (${imp.kindSource === 'dwarf' ? 'declared in its DWARF' : 'undefined in its symbol table'})`,
            after: !candidates[0] ? 'not found' : candidates[0].score >= LIKELY_RENAME ? `not found; probably renamed to ${candidates[0].name}` : `not found; closest name ${candidates[0].name}`,
            evidence,
            candidates,
          }),
        );
      }
    }
    return findings;
  },
});
