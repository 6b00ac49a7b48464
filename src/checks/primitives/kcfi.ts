import { list, object, str } from '../../schema.js';
import type { Finding } from '../../findings/index.js';
import { configEvidence, defineDetector, frozenEvidence, primitiveFinding } from './detector.js';

/**
 * kCFI (v6.1, Clang): every indirect call checks a 32-bit hash of the callee's prototype,
 * stored in a __cfi_<fn> preamble in front of the function, against the hash the caller
 * expects. A frozen function reached indirectly needs a preamble, and its hash must be the
 * one the new kernel computes for that prototype (hashes change with the compiler and with
 * v6.2's integer normalisation): compared with the reference object's.
 */
export const kcfi = defineDetector({
  name: 'kcfi',
  produces: ['kcfi-mismatch'],
  parameters: object({ config: list(str(), 1), preamblePrefix: str() }),
  run(entry, ctx): Finding[] {
    const on = ctx.kernel.enabled(entry.parameters.config);
    if (!on) return [];
    const out: Finding[] = [];
    const byName = new Map(ctx.conventions.functions.map((f) => [f.name, f]));
    const bare = ctx.conventions.indirectTargets.map((t) => byName.get(t.function)).filter((f) => f !== undefined && f.cfiHash === undefined);
    if (bare.length > 0) {
      out.push(
        primitiveFinding(entry, ctx, {
          id: 'kcfi-mismatch',
          symbol: bare[0]!.name,
          data: { case: 'no-preamble', option: on.name, preamble: entry.parameters.preamblePrefix, functions: bare.map((f) => f!.name) },
          before: 'no kCFI preambles',
          after: `${entry.parameters.preamblePrefix}<function> with the prototype's type hash`,
          evidence: [frozenEvidence(ctx, { section: bare[0]!.section, symbol: bare[0]!.name, detail: `no ${entry.parameters.preamblePrefix}${bare[0]!.name}` }), configEvidence(ctx, on)],
        }),
      );
    }
    const reference = ctx.kernel.reference(ctx.frozen);
    if (reference) {
      const theirs = new Map(reference.conventions.functions.filter((f) => f.cfiHash).map((f) => [f.name, f.cfiHash!]));
      for (const f of ctx.conventions.functions) {
        const other = f.cfiHash ? theirs.get(f.name) : undefined;
        if (!other || other === f.cfiHash) continue;
        out.push(
          primitiveFinding(entry, ctx, {
            id: 'kcfi-mismatch',
            symbol: f.name,
            data: { case: 'hash', function: f.name, frozenHash: f.cfiHash!, referenceHash: other },
            before: `${entry.parameters.preamblePrefix}${f.name}: ${f.cfiHash}`,
            after: `${entry.parameters.preamblePrefix}${f.name}: ${other}`,
            evidence: [
              frozenEvidence(ctx, { section: f.section, symbol: `${entry.parameters.preamblePrefix}${f.name}`, detail: `hash ${f.cfiHash}` }),
              { label: 'reference object', file: reference.path, symbol: `${entry.parameters.preamblePrefix}${f.name}`, detail: `hash ${other}` },
              configEvidence(ctx, on),
            ],
          }),
        );
      }
    }
    return out;
  },
});
