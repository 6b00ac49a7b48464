import { finding, type Evidence, type Finding, type FindingData } from '../../findings/index.js';
import type { FrozenObject } from '../../facts/frozen-object.js';
import { defineCheck } from '../check.js';

function moduleNowBuiltin(obj: FrozenObject, builtIn: FindingData<'module-now-builtin'>, evidence: Evidence[]): Finding {
  return finding('module-now-builtin', builtIn, {
    severity: 'runtime',
    object: obj.path,
    symbol: obj.moduleInfo?.name,
    before: `module ${obj.moduleInfo?.name ?? obj.path}`,
    after: 'built into vmlinux',
    evidence,
  });
}

/**
 * Link prediction is only complete when relinkable knows what a frozen object replaces: a
 * miss is reported, never passed over. A module whose sources are built into the new
 * vmlinux cannot replace them at all.
 */
export const replacedObjectCheck = defineCheck({
  name: 'replaced object',
  produces: ['replacement-not-found', 'module-now-builtin'],
  needs: ['link'],
  run({ link }) {
    const findings: Finding[] = [];
    for (const r of link.replacements.values()) {
      if (r.found) continue;
      const obj = r.frozen;
      if (r.builtIn?.how === 'modules.builtin') {
        const b = r.builtIn;
        findings.push(moduleNowBuiltin(obj, { case: 'modules.builtin', entry: b.entry }, [{ label: 'new kernel', file: b.file, location: `line ${b.line}`, detail: b.entry }]));
        continue;
      }
      if (r.builtIn?.how === 'dwarf') {
        const b = r.builtIn;
        findings.push(
          moduleNowBuiltin(
            obj,
            { case: 'dwarf', compileUnits: b.compileUnits },
            b.compileUnits.map((cu) => ({ label: 'new kernel', file: b.file, section: '.debug_info', location: `compile unit ${cu}` })),
          ),
        );
        continue;
      }
      findings.push(
        finding('replacement-not-found', { reason: r.reason }, {
          severity: 'review',
          object: obj.path,
          evidence: r.candidates.length
            ? r.candidates.slice(0, 5).map((c) => ({ label: 'candidate', file: c }))
            : [{ label: 'frozen object', file: obj.path, detail: obj.compileUnits.length ? `compile units: ${obj.compileUnits.join(', ')}` : 'no DWARF' }],
        }),
      );
    }
    return findings;
  },
});
