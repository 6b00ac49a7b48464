import { list, object, str } from '../../schema.js';
import type { Finding } from '../../findings/index.js';
import { defineDetector, frozenEvidence, primitiveFinding } from './detector.js';

/**
 * Hot per-CPU variables moved between versions: v6.2 folds current_task, cpu_number and
 * friends into pcpu_hot, v6.8 adds const_pcpu_hot with RIP-relative addressing, v6.15
 * splits them out again. Frozen code addresses them by symbol (%gs:sym), so a moved
 * variable is an undefined symbol with no rename that fixes it; the finding says where the
 * variable lives now.
 */
export const percpuSymbols = defineDetector({
  name: 'percpu-symbols',
  produces: ['percpu-symbol-changed'],
  parameters: object({
    variables: list(object({ name: str(), movedTo: list(str()), note: str() }, ['note']), 1),
  }),
  run(entry, ctx): Finding[] {
    const out: Finding[] = [];
    for (const v of entry.parameters.variables) {
      const imp = ctx.frozen.imports.get(v.name);
      if (!imp || ctx.kernel.defines(v.name)) continue;
      const now = v.movedTo.filter((n) => ctx.kernel.defines(n));
      const relocs = ctx.conventions.importRelocations[v.name] ?? {};
      out.push(
        primitiveFinding(entry, ctx, {
          id: 'percpu-symbol-changed',
          symbol: v.name,
          data: { variable: v.name, relocations: relocs, movedTo: now, note: v.note },
          before: `%gs:${v.name}`,
          after: now.length ? now.map((n) => `%gs:${n}`).join(', ') : `(no ${v.name})`,
          evidence: [
            ...imp.sites.slice(0, 2).map((s) => frozenEvidence(ctx, { section: s.section, symbol: s.function, offset: `0x${s.offset.toString(16)}`, detail: `${s.relocation} ${v.name}` })),
            { label: 'new kernel', file: ctx.kernel.vmlinuxFile, symbol: v.name, detail: `not defined${now.length ? `; defines ${now.join(', ')}` : ''}` },
          ],
        }),
      );
    }
    return out;
  },
});
