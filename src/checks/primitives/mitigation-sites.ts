import { list, object, oneOf, str } from '../../schema.js';
import { flagTokens } from '../../facts/compiler.js';
import { configEvidence, defineDetector, frozenEvidence, frozenProducer, primitiveFinding } from './detector.js';

/**
 * Speculative-execution mitigations the new kernel applies by patching or redirecting code
 * (return thunks, retpolines, call-depth accounting, SLS): code compiled without them keeps
 * bare returns and indirect branches, or has no sites for the kernel to patch. That is a
 * security finding: the object links and runs, outside the mitigation.
 */
export const mitigationSites = defineDetector({
  name: 'mitigation-sites',
  produces: ['mitigation-missing'],
  parameters: object(
    {
      /** The mitigation, as the message names it. */
      mitigation: str(),
      config: list(str(), 1),
      /** Compiler flags that make code comply (prefix match). */
      flags: list(str()),
      /** Undefined symbols whose use shows compliance (prefix match): __x86_return_thunk. */
      symbols: list(str()),
      /** Sections whose presence shows compliance: .return_sites. */
      sections: list(str()),
      /** When the object needs the mitigation at all: any function, or only with calls. */
      needs: oneOf(['functions', 'calls']),
    },
    [],
  ),
  run(entry, ctx) {
    const p = entry.parameters;
    const on = ctx.kernel.enabled(p.config);
    if (!on) return [];
    if (ctx.conventions.functions.length === 0) return [];
    if (p.needs === 'calls') {
      const calls = Object.values(ctx.conventions.importRelocations).some((r) => Object.keys(r).some((t) => t.endsWith('PLT32') || t.endsWith('CALL26')));
      if (!calls) return [];
    }
    const producer = frozenProducer(ctx.conventions);
    const tokens = producer ? flagTokens(producer) : [];
    const flag = p.flags.find((f) => tokens.some((t) => t.startsWith(f)));
    const symbol = [...ctx.frozen.imports.keys()].find((n) => p.symbols.some((s) => n.startsWith(s)));
    const section = ctx.conventions.sections.find((s) => p.sections.includes(s.name) && s.size > 0);
    if (flag || symbol || section) return [];
    return [
      primitiveFinding(entry, ctx, {
        id: 'mitigation-missing',
        // Without the producer, missing flags prove nothing: say so and let a human look.
        severity: producer || p.flags.length === 0 ? entry.severity : 'review',
        data: { mitigation: p.mitigation, option: on.name, flags: p.flags, symbols: p.symbols, sections: p.sections },
        before: `no ${p.mitigation}`,
        after: `${p.mitigation} required (CONFIG_${on.name}=${on.value})`,
        evidence: [
          ...(p.flags.length ? [frozenEvidence(ctx, { detail: producer ? `DW_AT_producer has none of ${p.flags.join(', ')}` : 'no compiler DW_AT_producer to read the flags from' })] : []),
          frozenEvidence(ctx, { detail: `none of ${[...p.symbols.map((s) => `${s}*`), ...p.sections].join(', ')}` }),
          configEvidence(ctx, on),
        ],
      }),
    ];
  },
});
