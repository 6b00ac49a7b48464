import { object, str } from '../../schema.js';
import type { Finding } from '../../findings/index.js';
import { defineDetector, frozenEvidence, primitiveFinding } from './detector.js';

/**
 * ORC unwind entries are 6 bytes in every version, but their bit fields and type numbers
 * changed in v6.3/v6.4; since v6.4 .orc_header holds a hash of the format. A frozen object
 * whose header differs from vmlinux's, or that predates the header while the new kernel has
 * one, has its unwind data decoded by the wrong layout: unreliable stack traces, livepatch
 * and perf. (The loader does not compare the hashes.)
 */
export const orcFormat = defineDetector({
  name: 'orc-format',
  produces: ['orc-format-changed'],
  parameters: object({ unwindSection: str() }),
  run(entry, ctx): Finding[] {
    const unwind = ctx.conventions.sections.find((s) => s.name === entry.parameters.unwindSection && s.size > 0);
    if (!unwind) return [];
    const kernel = ctx.kernel.orcHeader();
    const mine = ctx.conventions.orcHeader;
    if (!kernel || mine === kernel) return [];
    return [
      primitiveFinding(entry, ctx, {
        id: 'orc-format-changed',
        // ORC entries are 6 bytes in every version.
        data: { entries: unwind.size / 6, frozenHeader: mine, kernelHeader: kernel },
        before: mine ? `.orc_header ${mine}` : 'no .orc_header',
        after: `.orc_header ${kernel}`,
        evidence: [
          frozenEvidence(ctx, { section: entry.parameters.unwindSection, detail: `${unwind.size} bytes` }),
          { label: 'new kernel', file: ctx.kernel.vmlinuxFile, section: '.orc_header', detail: kernel },
        ],
      }),
    ];
  },
});
