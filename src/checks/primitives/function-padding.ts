import { hex } from '../../errors.js';
import { int, list, object, str } from '../../schema.js';
import { configEvidence, defineDetector, frozenEvidence, primitiveFinding } from './detector.js';

/**
 * CALL_PADDING (v6.2): the kernel compiles every function with N bytes of NOPs in front
 * (-fpatchable-function-entry=N,N, a __pfx_ symbol) and patches call-depth accounting
 * thunks (and FineIBT preambles) into them. Frozen functions without the padding are
 * skipped ("Invalid padding area") or, worse, patched over their neighbour's bytes.
 */
export const functionPadding = defineDetector({
  name: 'function-padding',
  produces: ['function-padding-missing'],
  parameters: object({
    config: list(str(), 1),
    /** The option holding the byte count (FUNCTION_PADDING_BYTES). */
    bytesOption: str(),
    defaultBytes: int(1, 64),
    /** Sections whose functions the kernel never pads (static-call trampolines). */
    exemptSections: list(str()),
  }),
  run(entry, ctx) {
    const p = entry.parameters;
    const on = ctx.kernel.enabled(p.config);
    if (!on) return [];
    const bytesOption = ctx.kernel.option(p.bytesOption);
    const needed = bytesOption && /^\d+$/.test(bytesOption.value) ? Number(bytesOption.value) : p.defaultBytes;
    const targets = new Set(ctx.conventions.indirectTargets.map((t) => t.function));
    const exposed = ctx.conventions.functions.filter((f) => (f.binding !== 'local' || targets.has(f.name)) && !p.exemptSections.includes(f.section));
    const short = exposed.filter((f) => f.paddingBefore < needed);
    if (short.length === 0) return [];
    const first = short[0]!;
    return [
      primitiveFinding(entry, ctx, {
        id: 'function-padding-missing',
        symbol: first.name,
        data: { functions: short.map((f) => f.name), callable: exposed.length, bytes: needed, option: on.name },
        before: `${first.name}: ${first.paddingBefore} NOP bytes before the entry${first.prefixSymbol ? '' : ', no __pfx_ symbol'}`,
        after: `${needed} NOP bytes before every function (-fpatchable-function-entry=${needed},${needed}, __pfx_<name>)`,
        evidence: [
          ...short.slice(0, 3).map((f) => frozenEvidence(ctx, { section: f.section, symbol: f.name, offset: hex(f.offset), detail: `${f.paddingBefore} NOP bytes before the entry` })),
          configEvidence(ctx, on),
          ...(bytesOption && bytesOption.value !== 'n' ? [configEvidence(ctx, bytesOption)] : []),
        ],
      }),
    ];
  },
});
