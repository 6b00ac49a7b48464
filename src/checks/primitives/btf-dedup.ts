import type { Evidence, Finding } from '../../findings/index.js';
import { describeChange } from '../../findings/prose.js';
import type { TypeDefinition } from '../../graph/interfaces.js';
import type { TypeRef } from '../../graph/type-graph.js';
import { DedupComparison } from '../../model/btf-dedup.js';
import { int, list, object, str } from '../../schema.js';
import { configEvidence, defineDetector, frozenEvidence, primitiveFinding } from './detector.js';

/**
 * Types the relinked vmlinux BTF will hold twice. Linking into vmlinux, kbuild encodes BTF
 * from every unit's DWARF (pahole), the frozen object's included, and deduplicates it: a
 * named struct or union the frozen DWARF describes differently from the new tree (in any
 * member, or in anything it reaches through pointers) stays a type of its own beside the new
 * one. resolve_btfids then warns "multiple IDs found" for each BTF_ID name of the new kernel
 * that is such a type, and resolves it to the lower id, whichever layout that is.
 *
 * Each complete definition in the frozen DWARF is compared with vmlinux BTF's definitions of
 * that name as BTF deduplication compares them (model/btf-dedup.ts). A type only the
 * replaced unit defines in the new kernel is left out: its new definition leaves with that
 * unit (one declared in the frozen unit's own source file is taken for such a type without
 * asking; the others are looked for in vmlinux DWARF).
 */
export const btfDedup = defineDetector({
  name: 'btf-dedup',
  produces: ['btf-type-duplicated'],
  parameters: object({
    /** The options that make kbuild encode vmlinux BTF and run resolve_btfids. */
    config: list(str(), 1),
    /** How many of the other duplicated types a message names. */
    examples: int(1, 20),
  }),
  run(entry, ctx): Finding[] {
    // Only a link into vmlinux re-encodes vmlinux BTF from the frozen object's DWARF.
    if (ctx.relink.mode !== 'built-in' || ctx.relink.use !== 'relinked') return [];
    const mine = ctx.frozen.compiledAgainst;
    const definitions = mine?.typeDefinitions();
    if (!mine || !definitions?.length) return [];
    const option = ctx.kernel.enabled(entry.parameters.config);
    if (!option) return [];
    const btf = ctx.kernel.btfTypes();
    if (!btf) return [];

    const replacesUnit = ctx.relink.replacement?.found === true;
    const compare = new DedupComparison(mine.graph, btf.graph);
    const differing = new Map<string, { definition: TypeDefinition; kernel: readonly TypeRef[] }>();
    for (const d of definitions) {
      const key = `${d.kind} ${d.name}`;
      if (differing.has(key) || (d.inUnitSource && replacesUnit)) continue;
      const kernel = btf.definitions(d.kind, d.name);
      // A type the new kernel does not have is new, not a second copy.
      if (kernel.length === 0 || kernel.some((ref) => compare.equivalent(d.ref, ref))) continue;
      differing.set(key, { definition: d, kernel });
    }
    const ids = ctx.kernel.btfIdEntries();
    const named = (d: TypeDefinition) => ids?.entries.filter((e) => e.kind === d.kind && e.name === d.name) ?? [];
    if (!ids || ![...differing.values()].some(({ definition }) => named(definition).length > 0)) return [];
    // Nor is a type only the replaced unit defined a copy: its new definition leaves with that unit.
    const duplicated = new Map([...differing].filter(([, { definition: d }]) => ctx.kernel.definedBesidesReplaced(ctx.frozen, d.kind, d.name) !== false));
    const names = [...duplicated.keys()];
    const out: Finding[] = [];
    for (const [type, { definition: d, kernel }] of duplicated) {
      const entries = named(d);
      if (entries.length === 0) continue;
      const difference = compare.compare(d.ref, kernel[0]!)!;
      // resolve_btfids stops looking at a kind once every name of it is resolved: with no name repeated, it may stop before the second id.
      const ofKind = ids.entries.filter((e) => e.kind === d.kind);
      const certain = ofKind.length > new Set(ofKind.map((e) => e.name)).size;
      const sets = [...new Set(entries.flatMap((e) => (e.set ? [`${e.set.kind} ${e.set.name}`] : [])))];
      const others = names.filter((n) => n !== type);
      const evidence: Evidence[] = [
        frozenEvidence(ctx, {
          section: '.debug_info',
          location: mine.graph.locate(d.ref),
          detail: `${type}${d.declaredAt ? ` declared at ${d.declaredAt.file}${d.declaredAt.line !== undefined ? `:${d.declaredAt.line}` : ''}` : ''}`,
        }),
        ...kernel.map((ref) => ({ label: 'new kernel', file: btf.source.file, section: '.BTF', location: btf.graph.locate(ref), detail: type })),
        {
          label: 'first difference',
          detail: `${difference.via ? `${difference.via}: ` : ''}${difference.within}: ${describeChange(difference.change)}`,
        },
        ...entries.map((e) => ({
          label: 'BTF_ID',
          file: ids.source.file,
          section: '.BTF_ids',
          symbol: e.symbol,
          detail: `at ${e.address}, ${e.set ? `in ${e.set.kind} ${e.set.name}` : 'in no set or list its symbols tell'}`,
        })),
        configEvidence(ctx, option),
      ];
      out.push(
        primitiveFinding(entry, ctx, {
          id: 'btf-type-duplicated',
          symbol: type,
          data: {
            type,
            name: d.name,
            ids: kernel.length,
            entries: entries.length,
            sets,
            difference,
            duplicated: duplicated.size,
            others: others.slice(0, entry.parameters.examples),
            certain,
          },
          before: `${kernel.length} BTF ${kernel.length === 1 ? 'id' : 'ids'}`,
          after: `${kernel.length + 1} BTF ids`,
          evidence,
        }),
      );
    }
    return out;
  },
});
