import { finding, type Evidence, type Finding } from '../../findings/index.js';
import { defineCheck } from '../check.js';
import { exportEntry, kernelSymbol, referenceSites } from '../support/evidence.js';

/** The frozen object uses a symbol as a function and the new kernel defines it as data, or the reverse. */
export const symbolTypeChangedCheck = defineCheck({
  name: 'symbol type changed',
  produces: ['symbol-type-changed'],
  needs: ['link', 'kernel'],
  run({ link, kernel }) {
    const findings: Finding[] = [];
    for (const obj of link.frozen) {
      for (const imp of obj.imports.values()) {
        if (imp.kind !== 'function' && imp.kind !== 'data') continue;
        const r = link.resolve(imp.name, obj);
        if (r.by !== 'kernel' && r.by !== 'export' && r.by !== 'frozen' && r.by !== 'sibling') continue;
        if ((r.kind !== 'function' && r.kind !== 'data') || r.kind === imp.kind) continue;
        const evidence: Evidence[] = referenceSites(obj, imp);
        if (r.by === 'kernel') evidence.push(kernelSymbol(kernel, r.symbol));
        if (r.by === 'export') {
          evidence.push(exportEntry(kernel, r.export));
          const sym = kernel.global(imp.name);
          if (sym) evidence.push(kernelSymbol(kernel, sym));
        }
        if (r.by === 'frozen') evidence.push({ label: 'defined by', file: r.object.path, symbol: imp.name });
        if (r.by === 'sibling') evidence.push({ label: 'defined by', file: r.object, symbol: imp.name });
        findings.push(
          finding('symbol-type-changed', { name: imp.name, was: imp.kind, now: r.kind }, {
            severity: 'runtime',
            object: obj.path,
            symbol: imp.name,
            before: `${imp.kind} (${imp.kindSource === 'dwarf' ? 'DWARF declaration' : 'call relocation'})`,
            after: r.kind,
            evidence,
          }),
        );
      }
    }
    return findings;
  },
});
