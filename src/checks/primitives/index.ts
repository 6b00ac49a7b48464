import { UsageError } from '../../errors.js';
import { finding, type Finding, type FindingId } from '../../findings/index.js';
import { architectureOf } from '../../facts/architecture.js';
import { defineCheck, type Check } from '../check.js';
import { btfDedup } from './btf-dedup.js';
import { btfIds } from './btf-ids.js';
import { splitBtf } from './split-btf.js';
import { compilerFlags, compilerVersion } from './compiler-flags.js';
import { configRenames } from './config-renames.js';
import { cpuFeatures } from './cpu-features.js';
import type { DetectorContext, RegisteredDetector } from './detector.js';
import { exportFormat } from './export-format.js';
import { extableTypes } from './extable-types.js';
import { ftraceEntry } from './ftrace-entry.js';
import { functionPadding } from './function-padding.js';
import { instrumentation } from './instrumentation.js';
import { kcfi } from './kcfi.js';
import { landingPads } from './landing-pads.js';
import { mitigationSites } from './mitigation-sites.js';
import { moduleFormat } from './module-format.js';
import { moduleSignature } from './module-signature.js';
import { noreturn } from './noreturn.js';
import { orcFormat } from './orc-format.js';
import { percpuSymbols } from './percpu-symbols.js';
import { sectionPlacement, sectionRenames } from './sections.js';
import { specialSections } from './special-sections.js';
import { stackProtector } from './stack-protector.js';
import { unreferenced } from './unreferenced.js';

/** Every detector the catalogue can name. */
export const DETECTORS: readonly RegisteredDetector[] = [
  btfDedup,
  btfIds,
  compilerFlags,
  compilerVersion,
  configRenames,
  cpuFeatures,
  exportFormat,
  extableTypes,
  ftraceEntry,
  functionPadding,
  instrumentation,
  kcfi,
  landingPads,
  mitigationSites,
  moduleFormat,
  moduleSignature,
  noreturn,
  orcFormat,
  percpuSymbols,
  sectionPlacement,
  sectionRenames,
  specialSections,
  splitBtf,
  stackProtector,
  unreferenced,
];

const PRODUCED: FindingId[] = [...new Set(DETECTORS.flatMap((d) => d.produces)), 'primitive-check-incomplete'];

/**
 * The build-primitive check: each catalogue entry for the frozen object's architecture,
 * run by the detector it names, against the new kernel's build conventions.
 */
export const primitivesCheck: Check = defineCheck({
  name: 'build primitives',
  produces: PRODUCED,
  needs: ['link', 'primitives'],
  run({ link, primitives }): Finding[] {
    const { catalogue, conventions, origin } = primitives;
    const byName = new Map(DETECTORS.map((d) => [d.name, d]));
    const out: Finding[] = [];
    for (const frozen of link.frozen) {
      const ctx: DetectorContext = {
        frozen,
        // The object's conventions are read when the first detector asks (not at all with a catalogue that needs none).
        get conventions() {
          return frozen.conventions;
        },
        relink: { mode: link.mode, use: link.use, replacement: link.replacements.get(frozen), others: link.frozen.filter((o) => o !== frozen) },
        kernel: conventions,
        origin,
      };
      const architecture = architectureOf(frozen.machine);
      const skipped: string[] = [];
      let reason: string | undefined;
      for (const entry of catalogue.entries) {
        if (!entry.architectures.includes(architecture as never)) continue;
        const detector = byName.get(entry.detector)!;
        try {
          out.push(...detector.run(entry, ctx));
        } catch (err) {
          if (!(err instanceof UsageError)) throw err;
          skipped.push(entry.id);
          reason = err.message;
        }
      }
      if (reason !== undefined) {
        out.push(
          finding('primitive-check-incomplete', { skipped, reason }, { severity: 'review', object: frozen.path, evidence: [{ label: 'catalogue', detail: `not checked: ${skipped.join(', ')}` }] }),
        );
      }
    }
    return out;
  },
});
