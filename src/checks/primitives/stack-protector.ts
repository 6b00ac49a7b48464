import type { CatalogueEntry } from '../../catalogue/catalogue.js';
import { list, object, oneOf, str } from '../../schema.js';
import { effectiveFlag, flagTokens } from '../../facts/compiler.js';
import { assembledOnly, configEvidence, defineDetector, frozenEvidence, frozenProducer, primitiveFinding, type DetectorContext } from './detector.js';
import type { Evidence, Finding, FindingData } from '../../findings/index.js';

type Guard = { kind: 'off' } | { kind: 'fixed' } | { kind: 'symbol'; name: string } | { kind: 'unknown' };

const describe = (g: Guard): string =>
  g.kind === 'off' ? 'no stack protector' : g.kind === 'fixed' ? 'canary at the fixed %gs:0x28 (fixed_percpu_data.stack_canary)' : g.kind === 'symbol' ? `canary in ${g.name}` : 'canary location unknown';

/**
 * Where the stack canary lives. x86-64 up to v6.14 reads it at the fixed %gs:0x28 (no
 * relocation); v6.15 makes it a normal per-CPU variable reached through
 * __ref_stack_chk_guard. i386 reads %fs:__stack_chk_guard (renamed __ref_stack_chk_guard
 * in 2024). arm64 reads it from the task at -mstack-protector-guard-offset, which must
 * equal offsetof(struct task_struct, stack_canary) in the new kernel.
 */
export const stackProtector = defineDetector({
  name: 'stack-protector',
  produces: ['stack-protector-changed'],
  parameters: object(
    {
      scheme: oneOf(['x86-segment', 'arm64-sysreg']),
      config: list(str(), 1),
      failSymbol: str(),
      /** x86: the symbol that holds the fixed canary slot when the kernel uses one. */
      fixedSlotSymbol: str(),
      /** x86: symbols the guard is read through, newest first. */
      guardSymbols: list(str()),
      /** arm64: the struct and member the offset flag must match. */
      struct: str(),
      member: str(),
    },
    ['fixedSlotSymbol', 'guardSymbols', 'struct', 'member'],
  ),
  run(entry, ctx): Finding[] {
    const p = entry.parameters;
    return p.scheme === 'arm64-sysreg' ? arm64(entry, ctx, p.struct ?? 'task_struct', p.member ?? 'stack_canary') : x86(entry, ctx, p);
  },
});

function x86(entry: CatalogueEntry, ctx: DetectorContext, p: { config: readonly string[]; failSymbol: string; fixedSlotSymbol?: string; guardSymbols?: readonly string[] }): Finding[] {
  const imports = ctx.frozen.imports;
  const guards = p.guardSymbols ?? [];
  const frozenGuardSymbol = guards.find((g) => imports.has(g));
  // Compiled with a stack protector but no function needed a canary: nothing to disagree on.
  const producer = frozenProducer(ctx.conventions);
  const protectorFlag = producer ? effectiveFlag(flagTokens(producer), ['-fstack-protector', '-fstack-protector-strong', '-fstack-protector-all', '-fstack-protector-explicit', '-fno-stack-protector']) : undefined;
  const compiledWith = protectorFlag !== undefined && protectorFlag !== '-fno-stack-protector';
  const frozen: Guard = frozenGuardSymbol
    ? { kind: 'symbol', name: frozenGuardSymbol }
    : ctx.conventions.fixedCanaryReads > 0
      ? { kind: 'fixed' }
      : imports.has(p.failSymbol)
        ? { kind: 'unknown' }
        : { kind: 'off' };
  if (frozen.kind === 'off' && (compiledWith || assembledOnly(ctx.conventions))) return [];
  const on = ctx.kernel.enabled(p.config);
  const kernelGuard = guards.find((g) => ctx.kernel.defines(g));
  const kernel: Guard = !on ? { kind: 'off' } : kernelGuard ? { kind: 'symbol', name: kernelGuard } : p.fixedSlotSymbol && ctx.kernel.defines(p.fixedSlotSymbol) ? { kind: 'fixed' } : { kind: 'unknown' };
  if (frozen.kind === kernel.kind && (frozen.kind !== 'symbol' || kernel.kind !== 'symbol' || frozen.name === kernel.name)) return [];
  if ((frozen.kind === 'unknown' && kernel.kind === 'off') || (kernel.kind === 'unknown' && frozen.kind === 'off')) return [];
  const evidence: Evidence[] = [
    frozenEvidence(ctx, {
      detail:
        frozen.kind === 'fixed'
          ? `${ctx.conventions.fixedCanaryReads} reads of %gs:0x28 without a relocation`
          : frozen.kind === 'symbol'
            ? `references ${frozen.name}`
            : frozen.kind === 'off'
              ? `no canary reads, no ${p.failSymbol} call`
              : `calls ${p.failSymbol} but reads the canary neither at %gs:0x28 nor through ${guards.join('/')}`,
    }),
    on ? configEvidence(ctx, on) : configEvidence(ctx, { name: p.config[0]!, value: 'n' }),
  ];
  if (kernel.kind === 'symbol') evidence.push({ label: 'new kernel', file: ctx.kernel.vmlinuxFile, symbol: kernel.name, detail: 'defined' });
  else if (kernel.kind === 'fixed') evidence.push({ label: 'new kernel', file: ctx.kernel.vmlinuxFile, symbol: p.fixedSlotSymbol, detail: `defined; ${guards.join(', ')} not defined` });
  let severity: Finding['severity'] = entry.severity;
  let data: FindingData<'stack-protector-changed'>;
  if (frozen.kind === 'off') {
    severity = 'review';
    data = { case: 'frozen-unprotected' };
  } else if (kernel.kind === 'off') {
    severity = 'review';
    data = { case: 'kernel-unprotected', failSymbol: p.failSymbol };
  } else if (frozen.kind === 'symbol') {
    severity = 'link';
    data = { case: 'guard-undefined', guard: frozen.name, kernelCanary: describe(kernel) };
  } else if (frozen.kind === 'unknown' || kernel.kind === 'unknown') {
    severity = 'review';
    data = { case: 'undetermined', side: frozen.kind === 'unknown' ? 'frozen' : 'kernel', frozenCanary: describe(frozen), kernelCanary: describe(kernel) };
  } else {
    data = { case: 'fixed-slot-gone', kernelGuard: kernel.kind === 'symbol' ? kernel.name : undefined };
  }
  return [primitiveFinding(entry, ctx, { id: 'stack-protector-changed', severity, data, before: describe(frozen), after: describe(kernel), evidence })];
}

function arm64(entry: CatalogueEntry, ctx: DetectorContext, structName: string, member: string): Finding[] {
  const producer = frozenProducer(ctx.conventions);
  if (!producer) return [];
  const flag = effectiveFlag(flagTokens(producer), ['-mstack-protector-guard-offset=']);
  if (!flag) return [];
  const offset = Number(flag.slice(flag.indexOf('=') + 1));
  const struct = ctx.kernel.struct(structName);
  const m = struct?.members.find((x) => x.name === member);
  if (!struct || !m) return [];
  const expected = m.bitOffset / 8;
  if (expected === offset) return [];
  return [
    primitiveFinding(entry, ctx, {
      id: 'stack-protector-changed',
      data: { case: 'task-offset', flag, offset, struct: structName, member, expected },
      before: `${structName}.${member} at ${offset}`,
      after: `${structName}.${member} at ${expected}`,
      evidence: [frozenEvidence(ctx, { section: '.debug_info', location: 'DW_AT_producer', detail: flag }), { label: 'new kernel', file: struct.source.file, location: struct.source.what, detail: `${member} at byte ${expected}` }],
    }),
  ];
}
