import { finding } from '../../findings/index.js';
import { defineCheck } from '../check.js';
import { kernelSymbol, referenceSites } from '../support/evidence.js';

/** A module can only link against exports: a global that vmlinux defines but does not export is out of reach. */
export const notExportedCheck = defineCheck({
  name: 'not exported',
  produces: ['not-exported'],
  needs: ['link', 'kernel'],
  run({ link, kernel }) {
    if (link.mode !== 'module') return [];
    return link.frozen.flatMap((obj) =>
      [...obj.imports.values()].flatMap((imp) => {
        const r = link.resolve(imp.name, obj);
        if (r.by !== 'unexported' || imp.weak) return [];
        return [
          finding('not-exported', { name: imp.name }, {
            severity: 'link',
            object: obj.path,
            symbol: imp.name,
            before: `imported by the module`,
            after: `${r.kind === 'function' ? 'function' : r.kind} in vmlinux without EXPORT_SYMBOL`,
            evidence: [...referenceSites(obj, imp), kernelSymbol(kernel, r.symbol)],
          }),
        ];
      }),
    );
  },
});
