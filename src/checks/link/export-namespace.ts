import { finding } from '../../findings/index.js';
import { defineCheck } from '../check.js';
import { exportEntry, referenceSites } from '../support/evidence.js';
import { governingModuleInfo } from '../support/governing-module-info.js';

/** An export in a symbol namespace needs MODULE_IMPORT_NS(ns) in the module (modpost error; the loader refuses). */
export const exportNamespaceCheck = defineCheck({
  name: 'export namespaces',
  produces: ['export-namespace'],
  needs: ['link', 'kernel'],
  run({ link, kernel }) {
    if (link.mode !== 'module') return [];
    return link.frozen.flatMap((obj) => {
      const governing = governingModuleInfo(link, kernel, obj);
      const imported = new Set(governing?.info.importedNamespaces ?? []);
      return [...obj.imports.values()].flatMap((imp) => {
        const r = link.resolve(imp.name, obj);
        if (r.by !== 'export' || !r.export.namespace || imported.has(r.export.namespace)) return [];
        return [
          finding('export-namespace', { name: imp.name, namespace: r.export.namespace }, {
            severity: 'link',
            object: obj.path,
            symbol: imp.name,
            before: imported.size ? `imports namespaces ${[...imported].sort().join(', ')}` : 'imports no namespace',
            after: `namespace ${r.export.namespace}`,
            evidence: [
              ...referenceSites(obj, imp, 1),
              exportEntry(kernel, r.export),
              { label: 'module', file: governing?.from ?? obj.path, section: '.modinfo', detail: imported.size ? [...imported].map((n) => `import_ns=${n}`).join(' ') : 'no import_ns= entry' },
            ],
          }),
        ];
      });
    });
  },
});
