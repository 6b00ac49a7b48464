import { list, object, str } from '../../schema.js';
import type { Finding } from '../../findings/index.js';
import { compareSeries, parseKernelVersion } from '../../facts/kernel-version.js';
import { featureLabel, shortFeatureName, type CpuFeatureTable } from '../../facts/x86-headers.js';
import { defineDetector, frozenEvidence, primitiveFinding } from './detector.js';

/**
 * An alternative records the X86_FEATURE_* number it is gated on, compiled in as a
 * constant. The numbers move between versions (6.1's CLEAR_CPU_BUF, 11*32+18, is
 * SGX_EDECCSSA in 6.12): decoded against the new kernel's cpufeatures.h, the frozen
 * alternative patches on another CPU feature. The old meaning comes from the cpufeatures.h
 * of the kernel the object was built in (--built-with). arm64's cpucap numbers are the same
 * question: `.altinstructions` carries the number, the generated cpucaps header of each
 * kernel its meaning (`fallbacks`: the header's name in older kernels, cpucaps.h before v6.3).
 */
export const cpuFeatures = defineDetector({
  name: 'cpu-features',
  produces: ['cpu-feature-renumbered'],
  parameters: object({ header: str(), fallbacks: list(str()) }, ['fallbacks']),
  run(entry, ctx): Finding[] {
    const alt = ctx.conventions.alternatives;
    if (!alt || alt.features.length === 0) return [];
    const header = entry.parameters.header;
    const headers = [header, ...(entry.parameters.fallbacks ?? [])];
    const tableOf = (side: { cpufeatures(relPath: string): CpuFeatureTable | undefined } | undefined) => {
      for (const h of headers) {
        const table = side?.cpufeatures(h);
        if (table) return table;
      }
      return undefined;
    };
    const next = tableOf(ctx.kernel);
    const altEvidence = frozenEvidence(ctx, { section: '.altinstructions', detail: `${alt.features.reduce((n, f) => n + f.count, 0)} alternatives, ${alt.entrySize ?? '?'}-byte entries, ${alt.features.length} feature numbers` });
    if (!next) {
      return [
        primitiveFinding(entry, ctx, {
          id: 'cpu-feature-renumbered',
          severity: 'review',
          data: { case: 'header-missing', header, features: alt.features.length },
          evidence: [altEvidence],
        }),
      ];
    }
    const old = tableOf(ctx.origin);
    if (!old) {
      const frozenRelease = parseKernelVersion(ctx.frozen.moduleInfo?.vermagic);
      const newRelease = ctx.kernel.version();
      if (frozenRelease && newRelease && compareSeries(frozenRelease, newRelease) === 0) return [];
      return [
        primitiveFinding(entry, ctx, {
          id: 'cpu-feature-renumbered',
          severity: 'review',
          data: { case: 'unconfirmed', features: alt.features.map((f) => ({ number: f.feature, names: next.names(f.feature) })) },
          evidence: [altEvidence, { label: 'new kernel', file: next.file }],
        }),
      ];
    }
    const out: Finding[] = [];
    for (const f of alt.features) {
      const was = old.names(f.feature);
      const now = next.names(f.feature);
      if (was.length === 0 || was.some((n) => now.includes(n))) continue;
      const moved = was.flatMap((n) => {
        const number = next.number(n);
        return number !== undefined && number !== f.feature ? [{ name: n, number }] : [];
      });
      const wasName = featureLabel(f.feature, was);
      out.push(
        primitiveFinding(entry, ctx, {
          id: 'cpu-feature-renumbered',
          symbol: was[0]!.startsWith('ARM64_') ? was[0]! : `X86_FEATURE_${shortFeatureName(was[0]!)}`,
          data: { case: 'renumbered', feature: f.feature, flags: f.flags, count: f.count, example: f.example, was, now, moved },
          before: `${f.feature} = ${wasName}`,
          after: `${f.feature} = ${now.length ? featureLabel(f.feature, now) : '(undefined)'}`,
          evidence: [
            frozenEvidence(ctx, { section: '.altinstructions', location: f.example, detail: `feature ${f.feature}, ${f.count} entr${f.count > 1 ? 'ies' : 'y'}` }),
            { label: 'built with', file: old.file, detail: `${f.feature} = ${was.join(', ')}` },
            { label: 'new kernel', file: next.file, detail: now.length ? `${f.feature} = ${now.join(', ')}` : `${f.feature} undefined` },
          ],
        }),
      );
    }
    return out;
  },
});
