import type { IntegrityCheck, PlaceholderCheck } from '../../facts/verify.js';
import { finding, type Finding, type FindingId } from '../../findings/index.js';
import { unfilledPlaceholders } from '../link/fips140-placeholders.js';

/**
 * A vendor integrity scheme recomputed from the files: each stored value that is not what
 * the files give is a finding (the kernel panics at boot on it), and so is each relocation
 * Android's in-kernel reverter would refuse (it BUG()s before hashing).
 */
export const integrityCheck = {
  name: 'integrity schemes',
  produces: ['integrity-mismatch', 'integrity-relocation-refused', 'placeholder-missing'] as readonly FindingId[],
  run(c: IntegrityCheck): Finding[] {
    const out: Finding[] = [];
    for (const item of c.items) {
      if (item.ok) continue;
      out.push(
        finding('integrity-mismatch', { scheme: c.scheme, what: item.what }, {
          severity: 'runtime',
          object: c.file,
          symbol: c.scheme,
          before: item.expected,
          after: item.found,
          evidence: [{ label: 'stored', file: c.file, detail: item.expected }, { label: 'recomputed', file: c.file, detail: item.found }],
        }),
      );
    }
    if (c.refusedRelocations.length > 0) {
      const types = [...new Set(c.refusedRelocations.map((r) => r.type))].sort();
      out.push(
        finding('integrity-relocation-refused', { scheme: c.scheme, count: c.refusedRelocations.length, types }, {
          severity: 'runtime',
          object: c.file,
          symbol: c.scheme,
          evidence: [{ label: 'module', file: c.file }],
          sites: c.refusedRelocations.map((r) => ({ symbol: r.type, detail: `${r.section}+0x${r.offset.toString(16)}`, evidence: [{ label: 'relocation', file: c.file, section: r.section, offset: `0x${r.offset.toString(16)}` }] })),
        }),
      );
    }
    return out;
  },
  /** Amazon's placeholder ABI: each side's placeholders the other lacks (the unfilled ones as check's fips140 placeholders check words them). */
  runPlaceholders(c: PlaceholderCheck): Finding[] {
    const out: Finding[] = unfilledPlaceholders(c);
    if (c.missing.length > 0) {
      out.push(
        finding('placeholder-missing', { names: c.missing }, {
          severity: 'link',
          object: c.module,
          evidence: [{ label: 'kernel', file: c.kernel }, { label: 'module', file: c.module, section: '__crypto_fn_keys, __crypto_var_keys' }],
          sites: c.missing.map((n) => ({ symbol: n, evidence: [{ label: 'key-table entry', file: c.module, symbol: n }] })),
        }),
      );
    }
    return out;
  },
};
