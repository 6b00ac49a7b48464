import { object } from '../../schema.js';
import type { Finding } from '../../findings/index.js';
import { extableTypeLabel } from '../../facts/x86-headers.js';
import { defineDetector, frozenEvidence, primitiveFinding } from './detector.js';

/**
 * Since v5.16 an exception-table entry says what the fixup does in its data word
 * (EX_TYPE_*); the kernel's fixup_exception() switches on it and BUGs on a type it does not
 * know. Types come and go (6.12 drops EX_TYPE_COPY): every type the frozen entries use
 * must exist in the new kernel's extable_fixup_types.h.
 */
export const extableTypes = defineDetector({
  name: 'extable-types',
  produces: ['extable-type-unknown'],
  parameters: object({}),
  run(entry, ctx): Finding[] {
    const table = ctx.conventions.extable;
    if (!table || table.layout !== 'data' || table.types.length === 0) return [];
    const next = ctx.kernel.extableTypes();
    if (!next) {
      return [
        primitiveFinding(entry, ctx, {
          id: 'extable-type-unknown',
          severity: 'review',
          data: { case: 'header-missing', types: table.types.length },
          evidence: [frozenEvidence(ctx, { section: '__ex_table', detail: `${table.entries} entries` })],
        }),
      ];
    }
    const old = ctx.origin?.extableTypes();
    const out: Finding[] = [];
    for (const t of table.types) {
      if (next.types.has(t.type & next.typeMask)) continue;
      const was = old?.types.get(t.type & old.typeMask);
      const label = extableTypeLabel(t.type, was ?? []);
      out.push(
        primitiveFinding(entry, ctx, {
          id: 'extable-type-unknown',
          symbol: was?.[0],
          data: { case: 'undefined', type: t.type, names: was ?? [], count: t.count, example: t.example },
          before: `${label} (${t.type})`,
          after: `type ${t.type} undefined`,
          evidence: [
            frozenEvidence(ctx, { section: '__ex_table', location: t.example, detail: `data & 0xff = ${t.type}, ${t.count} entries` }),
            ...(old && was ? [{ label: 'built with', file: old.file, detail: `${was.join(', ')} = ${t.type}` }] : []),
            { label: 'new kernel', file: next.file, detail: `no EX_TYPE_* = ${t.type}` },
          ],
        }),
      );
    }
    return out;
  },
});
