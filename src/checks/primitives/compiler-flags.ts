import { list, object, record, str } from '../../schema.js';
import { architectureOf } from '../../facts/architecture.js';
import { compilerIdentity, effectiveFlag, flagTokens, producerName } from '../../facts/compiler.js';
import { assembledOnly, defineDetector, frozenEvidence, frozenProducer, primitiveFinding, type DetectorContext } from './detector.js';
import type { Evidence } from '../../findings/index.js';

function newSide(ctx: DetectorContext): { text: string; evidence: Evidence; specific: boolean } | undefined {
  const flags = ctx.kernel.compilerFlags(ctx.frozen);
  if (!flags) return undefined;
  return {
    text: flags.text,
    specific: flags.specific,
    evidence: { label: 'new kernel', file: flags.source.file, detail: `${flags.source.what}${flags.specific ? '' : ' — this object may be built with flags of its own'}` },
  };
}

/**
 * ABI-relevant compiler flags: the frozen object's DW_AT_producer against how the new kernel
 * compiles the same source (reference object, replaced compile unit, .cmd, or the kernel-wide
 * flags). Each entry lists the flag families it cares about; flags that do not change the
 * machine-level contract (-O levels, warnings) are simply not listed.
 */
export const compilerFlags = defineDetector({
  name: 'compiler-flags',
  produces: ['compiler-flag-changed'],
  parameters: object({
    flags: list(
      object(
        {
          /** The flag as users name it: -fcf-protection. */
          family: str(),
          /** Tokens that set it: "-fcf-protection=" (prefix) and "-fcf-protection" (exact). */
          forms: list(str(), 1),
          /** What the compiler does when none is given. */
          absent: str(),
          /**
           * Per architecture, the form that no flag amounts to (plain char is unsigned by the
           * AAPCS64, so on aarch64 no -funsigned-char is -funsigned-char): the same code either way.
           */
          absentMeans: record(str()),
        },
        ['absentMeans'],
      ),
      1,
    ),
  }),
  run(entry, ctx) {
    const producer = frozenProducer(ctx.conventions);
    if (!producer) return [];
    const next = newSide(ctx);
    if (!next) return [];
    const before = flagTokens(producer);
    const after = flagTokens(next.text);
    const out = [];
    const architecture = architectureOf(ctx.frozen.machine);
    for (const f of entry.parameters.flags) {
      const b = effectiveFlag(before, f.forms);
      const a = effectiveFlag(after, f.forms);
      if (b === a) continue;
      const implied = f.absentMeans?.[architecture];
      if (implied !== undefined && (b ?? implied) === (a ?? implied)) continue;
      const show = (v: string | undefined) => v ?? `(no ${f.family}: ${f.absent})`;
      out.push(
        primitiveFinding(entry, ctx, {
          id: 'compiler-flag-changed',
          symbol: f.family,
          data: { family: f.family, frozenSetting: show(b), kernelSetting: show(a) },
          before: show(b),
          after: show(a),
          evidence: [frozenEvidence(ctx, { section: '.debug_info', location: 'DW_AT_producer', detail: producer.length > 160 ? `${producer.slice(0, 160)}…` : producer }), next.evidence],
        }),
      );
    }
    return out;
  },
});

/** The compiler itself: family and version of the frozen object versus CONFIG_CC_VERSION_TEXT. */
export const compilerVersion = defineDetector({
  name: 'compiler-version',
  produces: ['compiler-changed'],
  parameters: object({}),
  run(entry, ctx) {
    if (assembledOnly(ctx.conventions)) return [];
    const producer = frozenProducer(ctx.conventions);
    const comment = ctx.conventions.compiler.comment.find((c) => /GCC|clang/.test(c));
    const config = ctx.kernel.option('CC_VERSION_TEXT');
    const kernelText = config && config.value !== 'n' ? config.value : undefined;
    if (!producer && !comment) {
      return [
        primitiveFinding(entry, ctx, {
          id: 'compiler-changed',
          severity: 'review',
          data: { case: 'unrecorded' },
          evidence: [frozenEvidence(ctx, { detail: 'no DWARF producer and no .comment section' })],
        }),
      ];
    }
    if (!kernelText) return [];
    const mine = compilerIdentity(producer ?? comment!);
    const theirs = compilerIdentity(kernelText);
    if (mine.family === theirs.family && mine.version === theirs.version) return [];
    const severity = mine.family !== theirs.family || mine.version?.split('.')[0] !== theirs.version?.split('.')[0] ? 'review' : 'info';
    return [
      primitiveFinding(entry, ctx, {
        id: 'compiler-changed',
        severity,
        data: { case: 'differs', frozen: mine, kernel: theirs },
        before: `${mine.family} ${mine.version ?? '?'}`,
        after: kernelText,
        evidence: [
          frozenEvidence(ctx, { section: producer ? '.debug_info' : '.comment', location: producer ? 'DW_AT_producer' : undefined, detail: producerName(producer ?? comment!) }),
          { label: 'new kernel', file: ctx.kernel.configFile, detail: `CONFIG_CC_VERSION_TEXT="${kernelText}"` },
        ],
      }),
    ];
  },
});
