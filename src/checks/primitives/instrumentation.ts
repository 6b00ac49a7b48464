import { bool, list, object, str } from '../../schema.js';
import type { Finding } from '../../findings/index.js';
import { someNames } from '../../findings/prose.js';
import { configEvidence, defineDetector, frozenEvidence, primitiveFinding } from './detector.js';

/**
 * Compiler instrumentation (KASAN, KCSAN, KMSAN, UBSAN, KCOV, GCOV, stack-depth tracking)
 * calls hooks the kernel provides only when it is configured for them. Hooks the frozen
 * object calls and the new kernel lacks fail the link; a new kernel that instruments
 * everything and a frozen object that is not instrumented is a blind spot to review (for
 * the tools whose entry says so: UBSAN in trap mode, for one, calls no hooks at all).
 */
export const instrumentation = defineDetector({
  name: 'instrumentation',
  produces: ['instrumentation-mismatch'],
  parameters: object({
    tools: list(object({ name: str(), config: list(str(), 1), prefixes: list(str(), 1), blindSpot: bool }), 1),
  }),
  run(entry, ctx): Finding[] {
    const out: Finding[] = [];
    const imports = [...ctx.frozen.imports.keys()];
    for (const tool of entry.parameters.tools) {
      const hooks = imports.filter((n) => tool.prefixes.some((p) => n.startsWith(p)));
      const on = ctx.kernel.enabled(tool.config);
      if (hooks.length > 0 && !on) {
        const missing = hooks.filter((h) => !ctx.kernel.defines(h));
        if (missing.length === 0) continue;
        out.push(
          primitiveFinding(entry, ctx, {
            id: 'instrumentation-mismatch',
            symbol: missing[0],
            data: { case: 'hooks-missing', tool: tool.name, option: tool.config[0]!, missing },
            before: `${tool.name} hooks: ${someNames(hooks)}`,
            after: `no ${tool.name}`,
            evidence: [frozenEvidence(ctx, { section: '.symtab', symbol: missing[0], detail: `${hooks.length} ${tool.name} hook(s) undefined` }), configEvidence(ctx, { name: tool.config[0]!, value: 'n' })],
          }),
        );
      } else if (hooks.length === 0 && on && tool.blindSpot) {
        out.push(
          primitiveFinding(entry, ctx, {
            id: 'instrumentation-mismatch',
            severity: 'review',
            data: { case: 'blind-spot', tool: tool.name, option: on.name, prefixes: tool.prefixes },
            before: `not instrumented for ${tool.name}`,
            after: `CONFIG_${on.name}=${on.value}`,
            evidence: [frozenEvidence(ctx, { section: '.symtab', detail: `no undefined ${tool.prefixes.map((p) => `${p}*`).join('/')} symbols` }), configEvidence(ctx, on)],
          }),
        );
      }
    }
    return out;
  },
});
