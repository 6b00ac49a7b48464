import { finding, type Evidence, type Finding, type Site } from '../../findings/index.js';
import { defineCheck } from '../check.js';
import { exportEntry, kernelSymbol } from '../support/evidence.js';

/**
 * A strong global the frozen object defines must not also be strongly defined by the rest
 * of the link (ld: "multiple definition"); a module must not export what the kernel or
 * another module already exports (the loader refuses it): one finding per module that
 * already exports some, each export a site. The new kernel's module of the same name is the
 * one the frozen module replaces (two modules of one name never load together), even when
 * its .ko is not at hand to tell what else it defines.
 */
export const duplicateDefinitionCheck = defineCheck({
  name: 'duplicate definitions',
  produces: ['duplicate-definition'],
  needs: ['link', 'kernel'],
  run({ link, kernel }) {
    const findings: Finding[] = [];
    for (const obj of link.frozen) {
      if (link.mode === 'module' && obj.isModule) {
        // One finding per module that already exports them: the root cause is that module.
        const byExporter = new Map<string, Site[]>();
        const replaced = link.replaced().find((r) => r.frozen === obj);
        for (const exp of obj.exports.values()) {
          const existing = kernel.exports().map.get(exp.name);
          if (!existing || replaced?.exports.has(exp.name) || sameModule(existing.module, obj.moduleInfo?.name)) continue;
          const sites = byExporter.get(existing.module) ?? [];
          sites.push({ symbol: exp.name, evidence: [{ label: 'frozen export', file: obj.path, symbol: `__ksymtab_${exp.name}` }, exportEntry(kernel, existing)] });
          byExporter.set(existing.module, sites);
        }
        for (const [exportedBy, unsorted] of [...byExporter].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
          const sites = unsorted.sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
          findings.push(
            finding('duplicate-definition', { case: 'export', names: sites.map((s) => s.symbol), exportedBy }, {
              severity: 'link',
              object: obj.path,
              symbol: sites.length === 1 ? sites[0]!.symbol : undefined,
              before: `exported by ${obj.path}`,
              after: `exported by ${exportedBy}`,
              evidence: [{ label: 'new kernel exports', file: kernel.exports().file, detail: `${sites.length} of the frozen module's exports come from ${exportedBy} too` }],
              sites,
            }),
          );
        }
        continue;
      }
      for (const def of obj.definitions.values()) {
        if (def.binding !== 'global' || def.section === 'COMMON') continue;
        const evidence: Evidence[] = [{ label: 'frozen definition', file: obj.path, section: def.section, symbol: def.name }];
        let other: { in: 'vmlinux' } | { in: 'object'; path: string } | undefined;
        const twin = link.frozen.find((o) => o !== obj && o.definitions.get(def.name)?.binding === 'global');
        if (twin && link.frozen.indexOf(twin) > link.frozen.indexOf(obj)) {
          other = { in: 'object', path: twin.path };
          evidence.push({ label: 'also defined by', file: twin.path, symbol: def.name });
        } else if (!twin && !link.definedByReplaced(def.name)) {
          if (link.mode === 'built-in') {
            const sym = kernel.global(def.name);
            if (sym && sym.binding === 'global') {
              other = { in: 'vmlinux' };
              evidence.push(kernelSymbol(kernel, sym, 'also defined by'));
            }
          } else if (kernel.isBuildTree) {
            for (const r of link.replaced()) {
              if (r.frozen !== obj || r.target.kind !== 'module') continue;
              for (const d of kernel.moduleObjectsDefining(r.target.module, r.name, def.name)) {
                if (d.weak) continue;
                other = { in: 'object', path: d.object };
                evidence.push({ label: 'also defined by', file: d.object, symbol: def.name });
              }
            }
          }
        }
        if (!other) continue;
        findings.push(finding('duplicate-definition', { case: 'definition', name: def.name, alsoDefinedBy: other }, { severity: 'link', object: obj.path, symbol: def.name, evidence }));
      }
    }
    return findings;
  },
});

/** Whether Module.symvers's module path ("crypto/af_alg") names the module `name` ("af_alg"; kbuild turns '-' into '_'). */
function sameModule(symversModule: string, name: string | undefined): boolean {
  if (name === undefined || symversModule === 'vmlinux') return false;
  const base = symversModule.slice(symversModule.lastIndexOf('/') + 1);
  return base.replaceAll('-', '_') === name.replaceAll('-', '_');
}
