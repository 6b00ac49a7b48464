import { int, list, object, str } from '../../schema.js';
import type { Finding } from '../../findings/index.js';
import { configEvidence, defineDetector, frozenEvidence, primitiveFinding } from './detector.js';

/**
 * How ftrace hooks function entries: a call to __fentry__ (x86-64 since 4.19, -mfentry) or
 * mcount, recorded in __mcount_loc for dynamic patching; on arm64 NOPs from
 * -fpatchable-function-entry, with v6.3's call ops reading an ops pointer from the 8 bytes
 * before the function (=4,2 instead of =2).
 */
export const ftraceEntry = defineDetector({
  name: 'ftrace-entry',
  produces: ['ftrace-entry-changed'],
  parameters: object(
    {
      config: list(str(), 1),
      /** Entry hooks a kernel may define, preferred first. */
      hooks: list(str(), 1),
      /** Sections recording the hook sites for dynamic patching. */
      records: list(str(), 1),
      dynamicConfig: list(str(), 1),
      /** arm64 call ops: the option, and the padding bytes each function needs before its entry. */
      callOpsConfig: list(str(), 1),
      callOpsPadding: int(1, 64),
    },
    ['callOpsConfig', 'callOpsPadding'],
  ),
  run(entry, ctx): Finding[] {
    const p = entry.parameters;
    const on = ctx.kernel.enabled(p.config);
    if (!on) return [];
    const out: Finding[] = [];
    const hooked = ctx.conventions.functions.filter((f) => f.ftraceCall !== undefined);
    const kernelHook = p.hooks.find((h) => ctx.kernel.defines(h));
    const foreign = hooked.filter((f) => f.ftraceCall !== kernelHook && !ctx.kernel.defines(f.ftraceCall!));
    if (foreign.length > 0) {
      const hook = foreign[0]!.ftraceCall!;
      out.push(
        primitiveFinding(entry, ctx, {
          id: 'ftrace-entry-changed',
          severity: 'link',
          symbol: hook,
          data: { case: 'foreign-hook', hook, functions: foreign.map((f) => f.name), kernelHook, hooks: p.hooks },
          before: `entry hook ${hook}`,
          after: `entry hook ${kernelHook ?? '(none)'}`,
          evidence: [frozenEvidence(ctx, { section: foreign[0]!.section, symbol: foreign[0]!.name, detail: `calls ${hook} at entry` }), configEvidence(ctx, on)],
        }),
      );
    }
    const dynamic = ctx.kernel.enabled(p.dynamicConfig);
    const records = ctx.conventions.sections.filter((s) => p.records.includes(s.name) && s.size > 0);
    const native = hooked.filter((f) => f.ftraceCall === kernelHook);
    // A function calling the kernel's hook means the kernel has one.
    if (dynamic && kernelHook !== undefined && native.length > 0 && records.length === 0) {
      out.push(
        primitiveFinding(entry, ctx, {
          id: 'ftrace-entry-changed',
          severity: 'review',
          symbol: kernelHook,
          data: { case: 'unrecorded', hook: kernelHook, functions: native.length, records: p.records },
          before: `no ${p.records.join('/')}`,
          after: `CONFIG_${dynamic.name}: sites recorded in ${p.records[0]}`,
          evidence: [frozenEvidence(ctx, { detail: `no ${p.records.join('/')} section` }), configEvidence(ctx, dynamic)],
        }),
      );
    }
    if (p.callOpsConfig && p.callOpsPadding) {
      const ops = ctx.kernel.enabled(p.callOpsConfig);
      const short = ops ? ctx.conventions.functions.filter((f) => f.binding !== 'local' && f.paddingBefore < p.callOpsPadding!) : [];
      if (ops && short.length > 0) {
        out.push(
          primitiveFinding(entry, ctx, {
            id: 'ftrace-entry-changed',
            symbol: short[0]!.name,
            data: { case: 'call-ops', padding: p.callOpsPadding, option: ops.name, functions: short.map((f) => f.name) },
            before: `${short[0]!.paddingBefore} bytes before ${short[0]!.name}`,
            after: `${p.callOpsPadding} bytes of NOPs before every function`,
            evidence: [frozenEvidence(ctx, { section: short[0]!.section, symbol: short[0]!.name, detail: `${short[0]!.paddingBefore} NOP bytes before the entry` }), configEvidence(ctx, ops)],
          }),
        );
      }
    }
    return out;
  },
});
