import { FIPS140_KEY_TABLES, isFips140Placeholder, type PlaceholderCheck } from '../../facts/verify.js';
import { finding, type Finding } from '../../findings/index.js';
import { defineCheck } from '../check.js';

/** The placeholders the new kernel defines that a module's key tables do not fill: NULL when the kernel uses them. */
export function unfilledPlaceholders(c: PlaceholderCheck): Finding[] {
  if (c.unfilled.length === 0) return [];
  return [
    finding('placeholder-unfilled', { names: c.unfilled }, {
      severity: 'runtime',
      object: c.module,
      evidence: [{ label: 'kernel', file: c.kernel }, { label: 'module', file: c.module, section: FIPS140_KEY_TABLES.join(', ') }],
      sites: c.unfilled.map((n) => ({ symbol: n, evidence: [{ label: 'kernel placeholder', file: c.kernel, symbol: n }] })),
    }),
  ];
}

/**
 * Amazon Linux's fips140.ko, relinked or loaded into a new kernel: the new kernel's
 * placeholders (__fips140_fn_ptr_<function>, __crypto_<variable>_ptr) that the frozen
 * module's __crypto_fn_keys/__crypto_var_keys do not name stay NULL. (A placeholder the
 * module names and the kernel lacks is one of its imports: undefined-symbol or not-exported
 * reports it.) Only a frozen object with those tables is asked about.
 */
export const fips140PlaceholdersCheck = defineCheck({
  name: 'fips140 placeholders',
  produces: ['placeholder-unfilled'],
  needs: ['link', 'kernel'],
  run({ link, kernel }) {
    const modules = link.frozen.filter((o) => o.sections.some((s) => FIPS140_KEY_TABLES.includes(s.name)));
    if (modules.length === 0) return [];
    const defined = [...kernel.globals().keys()].filter(isFips140Placeholder);
    return modules.flatMap((obj) => {
      const filled = new Set([...obj.imports.values()].filter((i) => isFips140Placeholder(i.name) && i.sites.some((s) => FIPS140_KEY_TABLES.includes(s.section))).map((i) => i.name));
      const unfilled = defined.filter((n) => !filled.has(n)).sort();
      return unfilledPlaceholders({ module: obj.path, kernel: kernel.vmlinuxFile, matched: defined.length - unfilled.length, unfilled, missing: [] });
    });
  },
});
