import { list, object, str } from '../../schema.js';
import type { Finding } from '../../findings/index.js';
import { catalogueVersion, compareSeries } from '../../facts/kernel-version.js';
import { defineDetector, frozenEvidence, primitiveFinding } from './detector.js';

/**
 * Up to v6.4 EXPORT_SYMBOL emitted the ksymtab entry in the object (___ksymtab+<sym>); from
 * v6.5 the object only carries a .export_symbol marker and modpost writes the table. A
 * frozen object of one era relinked into a kernel of the other: old-style entries still land
 * in __ksymtab, but modpost does not see them (no Module.symvers line, no CRC, modules that
 * import them fail modpost); new-style markers in an old kernel export nothing.
 */
export const exportFormat = defineDetector({
  name: 'export-format',
  produces: ['export-format-changed'],
  parameters: object({ since: str(), oldSections: list(str(), 1), newSection: str() }),
  run(entry, ctx): Finding[] {
    if (ctx.frozen.isModule || ctx.frozen.exports.size === 0) return [];
    const p = entry.parameters;
    const version = ctx.kernel.version();
    if (!version) return [];
    const since = catalogueVersion(p.since);
    const modern = compareSeries(version, since) >= 0;
    const oldStyle = ctx.conventions.sections.filter((s) => p.oldSections.some((o) => s.name.startsWith(o)));
    const newStyle = ctx.conventions.sections.some((s) => s.name === p.newSection);
    const names = [...ctx.frozen.exports.keys()].sort();
    if (modern && oldStyle.length > 0 && !newStyle) {
      return [
        primitiveFinding(entry, ctx, {
          id: 'export-format-changed',
          symbol: names[0],
          data: { case: 'old-style', exports: names, since: p.since, oldSections: oldStyle.length, release: version.text, newSection: p.newSection },
          before: `${oldStyle[0]!.name} …`,
          after: `${p.newSection} markers (${p.since}+)`,
          evidence: [frozenEvidence(ctx, { section: oldStyle[0]!.name, detail: `${oldStyle.length} old-style export sections` }), { label: 'new kernel', detail: `release ${version.text}` }],
        }),
      ];
    }
    if (!modern && newStyle) {
      return [
        primitiveFinding(entry, ctx, {
          id: 'export-format-changed',
          severity: 'runtime',
          symbol: names[0],
          data: { case: 'new-style', exports: names, since: p.since, release: version.text, newSection: p.newSection },
          before: p.newSection,
          after: '___ksymtab+<sym> sections',
          evidence: [frozenEvidence(ctx, { section: p.newSection }), { label: 'new kernel', detail: `release ${version.text}` }],
        }),
      ];
    }
    return [];
  },
});
