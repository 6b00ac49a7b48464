import { list, object, str } from '../../schema.js';
import type { Evidence, Finding } from '../../findings/index.js';
import type { LinkTarget } from '../../facts/kernel-conventions.js';
import { catalogueVersion, compareSeries } from '../../facts/kernel-version.js';
import { defineDetector, frozenEvidence, primitiveFinding, type DetectorContext } from './detector.js';

/** Sections ld handles itself, never through the script's rules. */
const NOT_PLACED = /^(\.rela?\.|\.symtab$|\.strtab$|\.shstrtab$|\.group$|\.note\.GNU-stack$|\.llvm_addrsig$)/;

/** The frozen object as the linker knows it: the replaced object's name, so that the script's file patterns select it. */
function linkName(ctx: DetectorContext): string {
  const replaced = ctx.relink.replacement;
  return replaced?.found && !replaced.name.startsWith('compile unit') && !replaced.name.startsWith('module') ? replaced.name : ctx.frozen.path;
}

function linkTarget(ctx: DetectorContext): LinkTarget {
  return ctx.relink.mode === 'module' ? 'module' : 'vmlinux';
}

/**
 * Every allocated input section of the frozen object matched against the new kernel's
 * linker script (arch/<arch>/kernel/vmlinux.lds for a built-in relink, scripts/module.lds
 * for a module): a section no rule matches is an orphan (ld warns, or fails with
 * CONFIG_LD_ORPHAN_WARN_LEVEL=error, and places it by guesswork); a section the script
 * discards is gone from the relinked kernel.
 */
export const sectionPlacement = defineDetector({
  name: 'section-placement',
  produces: ['section-orphaned', 'section-discarded'],
  parameters: object({
    /** Sections the kernel's scripts discard on purpose (exit code of built-in objects, notes, markers), as ld's wildcards. */
    discardedByDesign: list(str()),
  }),
  run(entry, ctx): Finding[] {
    const target = linkTarget(ctx);
    const script = ctx.kernel.linkerScript(target);
    if (!script) return [];
    const module = target === 'module';
    const object = linkName(ctx);
    const byDesign = entry.parameters.discardedByDesign;
    // What the new build of the same source also has, the new script discards on purpose.
    const reference = new Set(ctx.kernel.reference(ctx.frozen)?.conventions.sections.map((s) => s.name) ?? []);
    const out: Finding[] = [];
    for (const s of ctx.conventions.sections) {
      if (!s.flags.includes('A') || s.size === 0 || NOT_PLACED.test(s.name)) continue;
      const p = ctx.kernel.placement(target, object, s.name);
      if (p.kind === 'discarded' && (reference.has(s.name) || byDesign.some((d) => ctx.kernel.sectionPatternMatches(d, s.name)))) continue;
      const where: Evidence = { label: 'new kernel', file: script, location: p.kind === 'orphan' ? undefined : `line ${p.line}`, detail: p.description };
      if (p.kind === 'discarded') {
        out.push(
          primitiveFinding(entry, ctx, {
            id: 'section-discarded',
            severity: 'runtime',
            symbol: s.name,
            data: { link: target, section: s.name, size: s.size, relocations: s.relocations },
            before: `${s.name}: ${s.size} bytes`,
            after: p.description,
            evidence: [frozenEvidence(ctx, { section: s.name, detail: `${s.size} bytes, flags ${s.flags}` }), where],
          }),
        );
      } else if (p.kind === 'orphan' && !module) {
        out.push(
          primitiveFinding(entry, ctx, {
            id: 'section-orphaned',
            symbol: s.name,
            data: { section: s.name, size: s.size },
            before: `${s.name}: ${s.size} bytes`,
            after: 'orphan',
            evidence: [frozenEvidence(ctx, { section: s.name, detail: `${s.size} bytes, flags ${s.flags}` }), where],
          }),
        );
      }
    }
    return out;
  },
});

/**
 * Sections renamed between versions (.data.once → .data..once, .data.unlikely →
 * .data..unlikely): the frozen object's old name is no longer collected where the code that
 * walks it looks (clear_warn_once walks __start_once..__end_once). Decided from the new
 * linker script when there is one, else from the reference object, else from the kernel
 * version (then only for a human to confirm).
 */
export const sectionRenames = defineDetector({
  name: 'section-renames',
  produces: ['section-renamed'],
  parameters: object({ renames: list(object({ from: str(), to: str(), since: str() }), 1) }),
  run(entry, ctx): Finding[] {
    if (ctx.relink.mode === 'module') return [];
    const out: Finding[] = [];
    const target = linkTarget(ctx);
    const script = ctx.kernel.linkerScript(target);
    const reference = ctx.kernel.reference(ctx.frozen);
    const version = ctx.kernel.version();
    const object = linkName(ctx);
    for (const r of entry.parameters.renames) {
      const s = ctx.conventions.sections.find((x) => x.name === r.from);
      if (!s || s.size === 0) continue;
      const evidence: Evidence[] = [frozenEvidence(ctx, { section: s.name, detail: `${s.size} bytes` })];
      let after: string;
      let severity: Finding['severity'] = entry.severity;
      if (script) {
        const was = ctx.kernel.placement(target, object, r.from);
        const now = ctx.kernel.placement(target, object, r.to);
        const same = was.kind === now.kind && (was.kind !== 'placed' || (now.kind === 'placed' && was.output === now.output && was.ranges.join() === now.ranges.join()));
        if (same || now.kind !== 'placed') continue;
        evidence.push({ label: 'new kernel', file: script, location: `line ${now.line}`, detail: `${r.to}: ${now.description}; ${r.from}: ${was.description}` });
        after = `${r.to}: ${now.description}`;
      } else if (reference?.conventions.sections.some((x) => x.name === r.to)) {
        evidence.push({ label: 'reference object', file: reference.path, section: r.to, detail: `the new build names it ${r.to}` });
        after = r.to;
      } else {
        const since = catalogueVersion(r.since);
        if (!version || compareSeries(version, since) < 0) continue;
        severity = 'review';
        evidence.push({ label: 'new kernel', detail: `release ${version.text}; renamed in ${r.since} (no linker script or reference object to confirm)` });
        after = r.to;
      }
      out.push(
        primitiveFinding(entry, ctx, {
          id: 'section-renamed',
          severity,
          symbol: r.from,
          data: { from: r.from, to: r.to, size: s.size },
          before: r.from,
          after,
          evidence,
        }),
      );
    }
    return out;
  },
});
