import { list, object, str } from '../../schema.js';
import type { Evidence, Finding } from '../../findings/index.js';
import { catalogueVersion, compareSeries, parseKernelVersion, type KernelVersion } from '../../facts/kernel-version.js';
import { defineDetector, frozenEvidence, primitiveFinding } from './detector.js';
import { COMPILER_IMPLICIT } from '../../model/interface-comparison.js';

interface NoreturnList {
  readonly series: string;
  readonly source: string;
  readonly functions: readonly string[];
}

/** The list for a kernel: its own series, else the nearest older one (said in the evidence). */
function listFor(lists: readonly NoreturnList[], version: KernelVersion | undefined): NoreturnList | undefined {
  if (!version) return undefined;
  const older = lists.filter((l) => compareSeries(catalogueVersion(l.series), version) <= 0);
  return older.sort((a, b) => compareSeries(catalogueVersion(b.series), catalogueVersion(a.series)))[0];
}

/**
 * objtool's view of which functions never return (its noreturn list, per version, kept as
 * catalogue data) against the frozen object's: a callee that became noreturn makes objtool
 * call the code after the call unreachable ("unreachable instruction" when the relink runs
 * objtool); a callee that is no longer noreturn returns into code the compiler never wrote
 * — execution falls through into whatever follows the call.
 */
export const noreturn = defineDetector({
  name: 'noreturn',
  produces: ['noreturn-changed'],
  parameters: object({ lists: list(object({ series: str(), source: str(), functions: list(str(), 1) }), 1) }),
  run(entry, ctx): Finding[] {
    const lists = entry.parameters.lists;
    const newVersion = ctx.kernel.version();
    const newList = listFor(lists, newVersion);
    if (!newList) return [];
    const frozenVersion = parseKernelVersion(ctx.frozen.moduleInfo?.vermagic);
    const oldList = listFor(lists, frozenVersion);
    const declared = new Set(ctx.conventions.noreturnCalls);
    const newSet = new Set(newList.functions);
    const oldSet = new Set(oldList?.functions ?? []);
    const out: Finding[] = [];
    for (const [name, imp] of [...ctx.frozen.imports].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (imp.kind === 'data') continue;
      const before = declared.has(name) || oldSet.has(name);
      const listed = newSet.has(name);
      if (before === listed) continue;
      // objtool warns by its list alone; whether a function really returns is for the kernel's
      // DWARF to say, and matters only where the frozen code expects it not to.
      const inDwarf = before && !listed ? ctx.kernel.noreturnInDwarf(name) : undefined;
      const after = listed || inDwarf === true;
      if (before === after) continue;
      // A call the compiler emits by itself (__stack_chk_fail) is declared by the compiler, not
      // the source: its DWARF declaration says nothing of noreturn. Only the lists compare.
      if (!oldList && (imp.kindSource !== 'dwarf' || COMPILER_IMPLICIT.test(name))) continue;
      const why: Evidence[] = [
        frozenEvidence(ctx, {
          symbol: name,
          section: declared.has(name) ? '.debug_info' : undefined,
          detail: declared.has(name) ? 'declared noreturn (DW_AT_noreturn)' : oldSet.has(name) ? `noreturn in objtool's list for ${oldList!.series} (${oldList!.source})` : `returns (${oldList ? `not in objtool's list for ${oldList.series}` : 'no DW_AT_noreturn'})`,
        }),
        { label: 'new kernel', detail: `${listed ? 'noreturn' : 'returns'} per objtool's list for ${newList.series} (${newList.source})${newVersion && compareSeries(catalogueVersion(newList.series), newVersion) !== 0 ? `, the nearest older list to ${newVersion.text}` : ''}${inDwarf === false ? '; no DW_AT_noreturn in vmlinux DWARF' : ''}` },
      ];
      // A callee the new kernel lacks is an undefined symbol; that finding says it.
      if (!ctx.kernel.defines(name)) continue;
      out.push(
        primitiveFinding(entry, ctx, {
          id: 'noreturn-changed',
          severity: after ? 'warning' : 'runtime',
          symbol: name,
          data: { function: name, now: after ? 'noreturn' : 'returns' },
          before: before ? 'noreturn' : 'returns',
          after: after ? 'noreturn' : 'returns',
          evidence: [...imp.sites.slice(0, 2).map((s) => frozenEvidence(ctx, { section: s.section, symbol: s.function, offset: `0x${s.offset.toString(16)}`, detail: `calls ${name}` })), ...why],
        }),
      );
    }
    return out;
  },
});
