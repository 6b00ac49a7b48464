import { isGplCompatible } from '../../facts/module.js';
import { finding } from '../../findings/index.js';
import { defineCheck } from '../check.js';
import { exportEntry, referenceSites } from '../support/evidence.js';
import { governingModuleInfo } from '../support/governing-module-info.js';

/** modpost refuses (and the loader rejects) a GPL-only export used by a module whose license is not GPL-compatible. */
export const exportGplOnlyCheck = defineCheck({
  name: 'GPL-only exports',
  produces: ['export-gpl-only'],
  needs: ['link', 'kernel'],
  run({ link, kernel }) {
    if (link.mode !== 'module') return [];
    return link.frozen.flatMap((obj) => {
      const governing = governingModuleInfo(link, kernel, obj);
      const license = governing?.info.license;
      if (isGplCompatible(license)) return [];
      return [...obj.imports.values()].flatMap((imp) => {
        const r = link.resolve(imp.name, obj);
        if (r.by !== 'export' || !r.export.gplOnly) return [];
        return [
          finding('export-gpl-only', { name: imp.name, license }, {
            severity: 'link',
            object: obj.path,
            symbol: imp.name,
            before: `license ${license ? `"${license}"` : '(none)'}`,
            after: r.export.exportType,
            evidence: [
              ...referenceSites(obj, imp, 1),
              exportEntry(kernel, r.export),
              { label: 'license', file: governing?.from ?? obj.path, section: '.modinfo', detail: license ? `license=${license}` : 'no license= entry' },
            ],
          }),
        ];
      });
    });
  },
});
