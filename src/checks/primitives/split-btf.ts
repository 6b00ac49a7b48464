import type { Evidence, Finding } from '../../findings/index.js';
import { int, object } from '../../schema.js';
import { defineDetector, frozenEvidence, primitiveFinding } from './detector.js';

/**
 * A module's .BTF is split BTF numbered on top of the vmlinux it was built with. Read on
 * another vmlinux, ids and string offsets silently name other types (bpftool prints garbage;
 * the loader may accept it): the string length it was built against is recovered and
 * compared, and the anomalies on the new base are counted. With a distilled base
 * (.BTF.base), relocation by name is checked instead.
 */
export const splitBtf = defineDetector({
  name: 'split-btf',
  produces: ['split-btf-mismatch'],
  parameters: object({ examples: int(1, 20) }),
  run(entry, ctx): Finding[] {
    const mine = ctx.conventions.btf;
    if (!mine) return [];
    const base = ctx.kernel.btf();
    if (!base) return [];
    const examples = entry.parameters.examples;
    const vmlinux: Evidence = { label: 'new kernel', file: ctx.kernel.vmlinuxFile, section: '.BTF', detail: `${base.types} types, ${base.stringBytes} bytes of strings` };
    const fit = ctx.kernel.splitBtfFit(mine.split, mine.distilledBase, ctx.frozen.path, examples);
    if (fit.fits) return [];
    switch (fit.how) {
      case 'distilled-base':
        return [
          primitiveFinding(entry, ctx, {
            id: 'split-btf-mismatch',
            data: { case: 'distilled-base', unmatched: fit.unmatched, examples },
            before: '.BTF.base relocates by name',
            after: `${fit.unmatched.length} unmatched`,
            evidence: [frozenEvidence(ctx, { section: '.BTF.base', detail: `${fit.distilledTypes} types` }), vmlinux],
          }),
        ];
      case 'unreadable':
        return [primitiveFinding(entry, ctx, { id: 'split-btf-mismatch', data: { case: 'unreadable', problem: fit.problem }, evidence: [frozenEvidence(ctx, { section: '.BTF' }), vmlinux] })];
      case 'other-base':
        return [
          primitiveFinding(entry, ctx, {
            id: 'split-btf-mismatch',
            data: { case: 'other-base', counts: fit.counts, builtAgainstStrings: fit.builtAgainstStrings, baseStrings: fit.baseStrings },
            before: fit.builtAgainstStrings !== undefined ? `base strings: ${fit.builtAgainstStrings} bytes` : `split BTF: ${fit.ownTypes} types`,
            after: `base strings: ${fit.baseStrings} bytes, ${fit.baseTypes} types`,
            evidence: [
              frozenEvidence(ctx, { section: '.BTF', detail: `${fit.ownTypes} own types; needs a base of ≥ ${fit.minBaseTypes} types` }),
              ...fit.examples.slice(0, examples).map((f) => frozenEvidence(ctx, { section: '.BTF', location: f.id !== undefined ? `type [${f.id}]` : undefined, detail: `${f.problem}: ${f.detail}` })),
              vmlinux,
            ],
          }),
        ];
    }
  },
});
