import { int, list, object, str } from '../../schema.js';
import type { Evidence, Finding } from '../../findings/index.js';
import { ratio } from '../../findings/prose.js';
import { defineDetector, frozenEvidence, primitiveFinding } from './detector.js';

/**
 * Special sections the kernel walks as arrays of fixed-size entries (.altinstructions,
 * __ex_table, __bug_table, __jump_table, .static_call_sites, .parainstructions): the frozen
 * object's entry size (section size over its relocations) against sizeof the struct in the
 * new kernel's BTF, or how many relocations an entry carries against the layout the new
 * struct's members show. A section whose struct the new kernel no longer has, and that
 * vmlinux no longer has either, is read by nobody.
 */
export const specialSections = defineDetector({
  name: 'special-sections',
  produces: ['special-section-format', 'special-section-unread'],
  parameters: object(
    {
      section: str(),
      /** The struct one entry is, in the kernel: alt_instr. */
      struct: str(),
      relocationsPerEntry: int(1, 8),
      /** Layouts told apart by a member of the struct: exception_table_entry.handler (3 relocations) vs .data (2). */
      layouts: list(object({ member: str(), relocationsPerEntry: int(1, 8) })),
    },
    ['layouts'],
  ),
  run(entry, ctx): Finding[] {
    const p = entry.parameters;
    const s = ctx.conventions.sections.find((x) => x.name === p.section);
    if (!s || s.size === 0) return [];
    const struct = ctx.kernel.struct(p.struct);
    const reference = ctx.kernel.reference(ctx.frozen);
    const refSection = reference?.conventions.sections.find((x) => x.name === p.section);
    const frozenWhere = frozenEvidence(ctx, { section: p.section, detail: `${s.size} bytes, ${s.relocations} relocations` });

    if (!struct) {
      if (!ctx.kernel.btf()) {
        return [
          primitiveFinding(entry, ctx, {
            id: 'special-section-format',
            severity: 'review',
            data: { case: 'no-btf', section: p.section, size: s.size, struct: p.struct },
            evidence: [frozenWhere],
          }),
        ];
      }
      if (ctx.kernel.sectionNames().has(p.section) || (refSection && refSection.size > 0)) return [];
      return [
        primitiveFinding(entry, ctx, {
          id: 'special-section-unread',
          data: { section: p.section, size: s.size, struct: p.struct },
          before: `${p.section}: ${s.size} bytes`,
          after: `no struct ${p.struct}, no ${p.section} in vmlinux`,
          evidence: [frozenWhere, { label: 'new kernel', file: ctx.kernel.vmlinuxFile, detail: `no ${p.section} section; no struct ${p.struct} in .BTF` }],
        }),
      ];
    }

    const kernelWhere: Evidence = { label: 'new kernel', file: struct.source.file, location: struct.source.what, detail: `struct ${p.struct}: ${struct.size} bytes, members ${struct.members.map((m) => m.name || '(anonymous)').join(', ')}` };
    const evidence = [frozenWhere, kernelWhere];
    if (refSection) evidence.push({ label: 'reference object', file: reference!.path, section: p.section, detail: `${refSection.size} bytes, ${refSection.relocations} relocations` });

    if (p.layouts && p.layouts.length) {
      // Same entry size, different fields: count relocations per entry.
      if (s.size % struct.size !== 0) {
        return [
          primitiveFinding(entry, ctx, {
            id: 'special-section-format',
            data: { case: 'not-multiple', section: p.section, size: s.size, struct: p.struct, structSize: struct.size },
            before: `${s.size} bytes`,
            after: `${struct.size}-byte entries`,
            evidence,
          }),
        ];
      }
      const entries = s.size / struct.size;
      const perEntry = s.relocations / entries;
      const layout = p.layouts.find((l) => struct.members.some((m) => m.name === l.member));
      if (!layout || perEntry === layout.relocationsPerEntry) return [];
      const old = p.layouts.find((l) => l.relocationsPerEntry === perEntry);
      return [
        primitiveFinding(entry, ctx, {
          id: 'special-section-format',
          data: { case: 'layout', section: p.section, perEntry, struct: p.struct, oldMember: old?.member, member: layout.member, relocationsPerEntry: layout.relocationsPerEntry },
          before: `${entries} entries × ${struct.size} bytes, ${ratio(perEntry)} relocations each${old ? ` (${old.member})` : ''}`,
          after: `${struct.size} bytes, ${layout.relocationsPerEntry} relocations each (${layout.member})`,
          evidence,
        }),
      ];
    }

    if (s.relocations === 0 || s.relocations % p.relocationsPerEntry !== 0 || s.size % (s.relocations / p.relocationsPerEntry) !== 0) {
      return [
        primitiveFinding(entry, ctx, {
          id: 'special-section-format',
          severity: 'review',
          data: { case: 'unreadable', section: p.section, size: s.size, relocations: s.relocations, relocationsPerEntry: p.relocationsPerEntry },
          evidence,
        }),
      ];
    }
    const entries = s.relocations / p.relocationsPerEntry;
    const size = s.size / entries;
    if (size === struct.size) return [];
    return [
      primitiveFinding(entry, ctx, {
        id: 'special-section-format',
        data: { case: 'stride', section: p.section, entrySize: size, struct: p.struct, structSize: struct.size },
        before: `${entries} entries × ${size} bytes`,
        after: `struct ${p.struct}: ${struct.size} bytes`,
        evidence,
      }),
    ];
  },
});
