import { object, str } from '../../schema.js';
import type { Finding } from '../../findings/index.js';
import { compareSeries, parseKernelVersion } from '../../facts/kernel-version.js';
import { shortFeatureName, wordBit } from '../../facts/x86-headers.js';
import { defineDetector, frozenEvidence, primitiveFinding, someNames } from './detector.js';

/**
 * An alternative records the X86_FEATURE_* number it is gated on, compiled in as a
 * constant. The numbers move between versions (6.1's CLEAR_CPU_BUF, 11*32+18, is
 * SGX_EDECCSSA in 6.12): decoded against the new kernel's cpufeatures.h, the frozen
 * alternative patches on another CPU feature. The old meaning comes from the cpufeatures.h
 * of the kernel the object was built in (--built-with).
 */
export const cpuFeatures = defineDetector({
  name: 'cpu-features',
  produces: ['cpu-feature-renumbered'],
  parameters: object({ header: str() }),
  run(entry, ctx): Finding[] {
    const alt = ctx.build.alternatives;
    if (!alt || alt.features.length === 0) return [];
    const header = entry.parameters.header;
    const next = ctx.kernel.cpufeatures(header);
    const altEvidence = frozenEvidence(ctx, { section: '.altinstructions', detail: `${alt.features.reduce((n, f) => n + f.count, 0)} alternatives, ${alt.entrySize ?? '?'}-byte entries, ${alt.features.length} feature numbers` });
    if (!next) {
      return [
        primitiveFinding(entry, ctx, {
          id: 'cpu-feature-renumbered',
          severity: 'review',
          message: `the new kernel's ${header} was not found (give the build directory or the linux-headers packages): the ${alt.features.length} feature numbers the frozen alternatives are gated on could not be decoded`,
          evidence: [altEvidence],
        }),
      ];
    }
    const name = (n: number, names: readonly string[]) => (names.length ? names.map(shortFeatureName).join('/') : `unnamed ${wordBit(n)}`);
    const old = ctx.origin?.cpufeatures(header);
    if (!old) {
      const frozenRelease = parseKernelVersion(ctx.frozen.moduleInfo?.vermagic);
      const newRelease = ctx.kernel.version();
      if (frozenRelease && newRelease && compareSeries(frozenRelease, newRelease) === 0) return [];
      return [
        primitiveFinding(entry, ctx, {
          id: 'cpu-feature-renumbered',
          severity: 'review',
          message: `the frozen alternatives are gated on ${alt.features.length} feature numbers, which the new kernel names ${someNames(alt.features.map((f) => `${f.feature} ${name(f.feature, next.names(f.feature))}`), 32)}; without the cpufeatures.h of the kernel the object was built in (--built-with) it cannot be confirmed that they meant the same`,
          evidence: [altEvidence, { label: 'new kernel', file: next.file }],
        }),
      ];
    }
    const out: Finding[] = [];
    for (const f of alt.features) {
      const was = old.names(f.feature);
      const now = next.names(f.feature);
      if (was.length === 0 || was.some((n) => now.includes(n))) continue;
      const moved = was.map((n) => [n, next.number(n)] as const).filter(([, n]) => n !== undefined && n !== f.feature);
      const wasName = name(f.feature, was);
      out.push(
        primitiveFinding(entry, ctx, {
          id: 'cpu-feature-renumbered',
          symbol: `X86_FEATURE_${shortFeatureName(was[0]!)}`,
          message:
            `${f.count} alternative${f.count > 1 ? 's' : ''} (first at ${f.example}) ${f.count > 1 ? 'are' : 'is'} gated on feature ${f.feature} (${wordBit(f.feature)}${f.flags.length ? `, ${f.flags.join('|')}` : ''}): ${wasName} when compiled, ` +
            (now.length ? `${name(f.feature, now)} in the new kernel` : 'no feature in the new kernel') +
            (moved.length ? ` (${moved.map(([n, v]) => `${shortFeatureName(n)} is now ${v} = ${wordBit(v!)}`).join(', ')})` : ''),
          before: `${f.feature} = ${wasName}`,
          after: `${f.feature} = ${now.length ? name(f.feature, now) : '(undefined)'}`,
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
