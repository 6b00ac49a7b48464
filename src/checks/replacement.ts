import type { Evidence, Finding } from '../findings/index.js';
import type { FrozenObject } from '../model/frozen.js';
import { basename } from 'node:path';
import { bestPathMatch } from '../model/paths.js';
import { defineCheck } from './check.js';

function moduleNowBuiltin(obj: FrozenObject, what: string, evidence: Evidence[]): Finding {
  return {
    id: 'module-now-builtin',
    severity: 'runtime',
    object: obj.path,
    symbol: obj.moduleInfo?.name,
    message: `the new kernel builds ${what} into vmlinux: the frozen module would load beside the built-in copy (registrations collide), it cannot replace it`,
    before: `module ${obj.moduleInfo?.name ?? obj.path}`,
    after: 'built into vmlinux',
    evidence,
  };
}

/**
 * Link prediction is only complete when relinkable knows what a frozen object replaces: a
 * miss is reported, never passed over. A module whose sources are built into the new
 * vmlinux cannot replace them at all.
 */
export const replacementCheck = defineCheck({
  name: 'replaced object',
  produces: ['replacement-not-found', 'module-now-builtin'],
  run(model) {
    const findings: Finding[] = [];
    for (const r of model.replacements.values()) {
      if (r.found) continue;
      const obj = r.frozen;
      const dwarf = model.kernel.dwarf();
      const listed = obj.isModule && obj.moduleInfo?.name ? model.kernel.builtinModule(obj.moduleInfo.name) : null;
      if (listed) {
        findings.push(moduleNowBuiltin(obj, listed.entry, [{ label: 'new kernel', file: listed.file, location: `line ${listed.line}`, detail: listed.entry }]));
        continue;
      }
      // Without modules.builtin, the module's compile units in vmlinux's DWARF tell.
      if (obj.isModule && listed === null && dwarf) {
        const builtIn = obj.compileUnits
          .filter((cu) => !cu.endsWith('.mod.c'))
          .map((cu) => bestPathMatch(cu, dwarf.compileUnitsNamedLike(basename(cu)).map((u) => u.name ?? '')).match)
          .filter((m): m is string => m !== undefined);
        if (builtIn.length) {
          findings.push(
            moduleNowBuiltin(
              obj,
              builtIn.join(', '),
              builtIn.map((cu) => ({ label: 'new kernel', file: model.kernel.artifacts.vmlinux, section: '.debug_info', location: `compile unit ${cu}` })),
            ),
          );
          continue;
        }
      }
      findings.push({
        id: 'replacement-not-found',
        severity: 'review',
        object: obj.path,
        message: `could not tell what it replaces in the new kernel: ${r.reason}; symbols the rest of the kernel needs from it were not checked`,
        evidence: r.candidates.length
          ? r.candidates.slice(0, 5).map((c) => ({ label: 'candidate', file: c }))
          : [{ label: 'frozen object', file: obj.path, detail: obj.compileUnits.length ? `compile units: ${obj.compileUnits.join(', ')}` : 'no DWARF' }],
      });
    }
    return findings;
  },
});
