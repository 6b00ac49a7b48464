import { hex } from '../../errors.js';
import type { Evidence, Finding } from '../../findings/index.js';
import { renameCandidates } from '../support/candidates.js';
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
  needs: ['link', 'kernel'],
  run({ link, kernel }) {
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
          evidence.push({
            label: 'new kernel',
            file: kernel.vmlinuxFile,
            section: kernel.sectionName(s.shndx),
            symbol: s.name,
            location: `address ${hex(s.value)}`,
            detail: `exists only as a local (static) ${s.type === 'func' ? 'function' : 'object'}`,
          });
        }
        const where = link.mode === 'module' ? 'exported by the new kernel' : 'defined in the new kernel';
        const candidates = renameCandidates(imp.name, imp.kind, link.linkableNames(), (n) => link.kindOf(n));
        if (imp.weak) {
          findings.push({
            id: 'unresolved-weak-reference',
            severity: 'runtime',
            object: obj.path,
            symbol: imp.name,
            message: `weak reference to ${imp.name} is not ${where}: it links, and the address resolves to 0`,
            evidence,
            candidates,
          });
          continue;
        }
        const why = r.staticIn.length
          ? ' (it still exists, but only as a static symbol)'
          : r.onlyInReplaced
            ? ` (only ${r.onlyInReplaced.name}, which this object replaces, defined it)`
            : '';
        findings.push({
          id: 'undefined-symbol',
          severity: 'link',
          object: obj.path,
          symbol: imp.name,
          message: `${imp.name} is not ${where}${why}`,
          before: `${imp.kind === 'unknown' ? 'symbol' : imp.kind} ${imp.name} (${imp.kindSource === 'dwarf' ? 'declared in its DWARF' : 'undefined in its symbol table'})`,
          after: !candidates[0] ? 'not found' : candidates[0].score >= LIKELY_RENAME ? `not found; probably renamed to ${candidates[0].name}` : `not found; closest name ${candidates[0].name}`,
          evidence,
          candidates,
        });
      }
    }
    return findings;
  },
});
