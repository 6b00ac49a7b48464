import type { Evidence, Finding, Severity } from '../../findings/index.js';
import type { SplitBtfConsequence, SplitBtfFit } from '../../facts/kernel-conventions.js';
import { int, object } from '../../schema.js';
import { configEvidence, defineDetector, frozenEvidence, primitiveFinding, type DetectorContext } from './detector.js';

/** Anomalies kernel/bpf/btf.c's module BTF check rejects (an invalid member type, a member past the end, an id past the last type); names that start inside another string pass it. */
const REJECTED_BY_LOADER = ['kind-contradiction', 'member-past-end', 'type-count'];

function consequenceOf(fit: Exclude<SplitBtfFit, { fits: true }>, ctx: DetectorContext): { consequence: SplitBtfConsequence; severity: Severity | undefined; evidence: Evidence[] } {
  const allow = ctx.kernel.option('MODULE_ALLOW_BTF_MISMATCH');
  if (!allow) return { consequence: 'unknown', severity: undefined, evidence: [] };
  const evidence = [configEvidence(ctx, allow)];
  const rejected = fit.how !== 'other-base' || REJECTED_BY_LOADER.some((k) => (fit.counts[k] ?? 0) > 0);
  if (!rejected) return { consequence: 'loads-with-wrong-types', severity: 'warning', evidence };
  return allow.value === 'y' ? { consequence: 'loads-without-btf', severity: 'warning', evidence } : { consequence: 'refused', severity: 'link', evidence };
}

/**
 * A module's .BTF is split BTF numbered on top of the vmlinux it was built with. Read on
 * another vmlinux, ids and string offsets silently name other types (bpftool prints garbage;
 * the loader may accept it): the string length it was built against is recovered and
 * compared, and the anomalies on the new base are counted. With a distilled base
 * (.BTF.base), relocation by name is checked instead. Only a .ko loaded as it is is judged
 * (relinked, pahole writes the module's BTF anew), and only when the new kernel reads module
 * BTF (CONFIG_DEBUG_INFO_BTF_MODULES); CONFIG_MODULE_ALLOW_BTF_MISMATCH decides whether a
 * rejected BTF refuses the module or drops its BTF.
 */
export const splitBtf = defineDetector({
  name: 'split-btf',
  produces: ['split-btf-mismatch'],
  parameters: object({ examples: int(1, 20) }),
  run(entry, ctx): Finding[] {
    const mine = ctx.conventions.btf;
    if (!mine || ctx.relink.use !== 'as-is') return [];
    if (ctx.kernel.option('DEBUG_INFO_BTF_MODULES')?.value === 'n') return [];
    const base = ctx.kernel.btf();
    if (!base) return [];
    const examples = entry.parameters.examples;
    const vmlinux: Evidence = { label: 'new kernel', file: ctx.kernel.vmlinuxFile, section: '.BTF', detail: `${base.types} types, ${base.stringBytes} bytes of strings` };
    const fit = ctx.kernel.splitBtfFit(mine.split, mine.distilledBase, ctx.frozen.path, examples);
    if (fit.fits) return [];
    const { consequence, severity, evidence: options } = consequenceOf(fit, ctx);
    switch (fit.how) {
      case 'distilled-base':
        return [
          primitiveFinding(entry, ctx, {
            id: 'split-btf-mismatch',
            data: { case: 'distilled-base', unmatched: fit.unmatched, examples, consequence },
            severity,
            before: '.BTF.base relocates by name',
            after: `${fit.unmatched.length} unmatched`,
            evidence: [frozenEvidence(ctx, { section: '.BTF.base', detail: `${fit.distilledTypes} types` }), vmlinux, ...options],
          }),
        ];
      case 'unreadable':
        return [
          primitiveFinding(entry, ctx, {
            id: 'split-btf-mismatch',
            data: { case: 'unreadable', problem: fit.problem, consequence },
            severity,
            evidence: [frozenEvidence(ctx, { section: '.BTF' }), vmlinux, ...options],
          }),
        ];
      case 'other-base':
        return [
          primitiveFinding(entry, ctx, {
            id: 'split-btf-mismatch',
            data: { case: 'other-base', counts: fit.counts, builtAgainstStrings: fit.builtAgainstStrings, baseStrings: fit.baseStrings, consequence },
            severity,
            before: fit.builtAgainstStrings !== undefined ? `base strings: ${fit.builtAgainstStrings} bytes` : `split BTF: ${fit.ownTypes} types`,
            after: `base strings: ${fit.baseStrings} bytes, ${fit.baseTypes} types`,
            evidence: [
              frozenEvidence(ctx, { section: '.BTF', detail: `${fit.ownTypes} own types; needs a base of ≥ ${fit.minBaseTypes} types` }),
              ...fit.examples.slice(0, examples).map((f) => frozenEvidence(ctx, { section: '.BTF', location: f.id !== undefined ? `type [${f.id}]` : undefined, detail: `${f.problem}: ${f.detail}` })),
              vmlinux,
              ...options,
            ],
          }),
        ];
    }
  },
});
