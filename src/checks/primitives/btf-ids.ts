import type { Finding, FindingData, Site } from '../../findings/index.js';
import { compareSeries, catalogueVersion } from '../../facts/kernel-version.js';
import { int, list, object, str } from '../../schema.js';
import { defineDetector, frozenEvidence, primitiveFinding } from './detector.js';

/**
 * BTF ids compiled into an object (.BTF_ids, filled in by resolve_btfids for the kernel it
 * was built for): every name must resolve, with its kind, in the new kernel's BTF — except
 * the object's own functions and the types of its own split BTF, which resolve in the BTF
 * built with it. A .ko loaded as it is keeps the old numbers; relinking runs resolve_btfids
 * again, but only for names that still exist. kfunc sets must carry BTF_SET8_KFUNCS once
 * the kernel checks it.
 * The ids that do not resolve are one finding per way they fail, each id a site.
 */
export const btfIds = defineDetector({
  name: 'btf-ids',
  produces: ['btf-id-unresolved', 'btf-set-flags-missing'],
  parameters: object({
    /** The kernel that starts rejecting kfunc sets without the flag. */
    kfuncFlagSince: str(),
    kfuncFlag: int(1, 0x7fffffff),
    /** Functions that register a kfunc set. */
    registration: list(str(), 1),
  }),
  run(entry, ctx): Finding[] {
    const { btfIds: ids, btfSets: sets } = ctx.conventions;
    if (ids.length === 0 && sets.length === 0) return [];
    const idsEvidence = frozenEvidence(ctx, { section: '.BTF_ids', detail: `${ids.length} ids, ${sets.length} sets` });
    if (!ctx.kernel.btf()) {
      return [primitiveFinding(entry, ctx, { id: 'btf-id-unresolved', severity: 'review', data: { case: 'no-btf', ids: ids.length }, evidence: [idsEvidence] })];
    }
    // A function the object defines itself, or a type its own split BTF defines, resolves
    // in the BTF built with it: the module's split BTF at module build, vmlinux BTF
    // re-encoded from every unit's DWARF when it is built in. The new vmlinux BTF has
    // nothing to say about it.
    const ownFunctions = new Set([...ctx.conventions.functions.map((f) => f.name), ...[...ctx.frozen.definitions.values()].filter((d) => d.kind === 'function').map((d) => d.name)]);
    const ownTypes = new Set((ctx.conventions.btf?.ownTypes ?? []).map((t) => `${t.kind} ${t.name}`));
    const own = (id: { kind: string; name: string }) => (id.kind === 'func' && ownFunctions.has(id.name)) || ownTypes.has(`${id.kind} ${id.name}`);
    const out: Finding[] = [];
    // One finding per way the ids fail (missing, another kind, renumbered), each id a site.
    const missing = unresolved<{ kind: string; name: string }>();
    const otherKind = unresolved<{ kind: string; name: string; others: readonly number[] }>();
    const renumbered = unresolved<{ kind: string; name: string; frozenId: number; kernelIds: readonly number[]; meansNow: string | undefined }>();
    for (const id of ids) {
      if (own(id)) continue;
      const found = ctx.kernel.btfIdsNamed(id.name, id.kind);
      const frozen = frozenEvidence(ctx, { section: '.BTF_ids', symbol: id.symbol, detail: `id ${id.id}` });
      if (found.length === 0) {
        const others = ctx.kernel.btfIdsNamed(id.name);
        const evidence = [frozen, { label: 'new kernel', file: ctx.kernel.vmlinuxFile, section: '.BTF', detail: `no ${id.kind} ${id.name}` }];
        const site = { before: `${id.kind} ${id.name} = [${id.id}]`, after: `no ${id.kind} ${id.name}` };
        if (others.length) {
          otherKind.add({ kind: id.kind, name: id.name, others }, { symbol: id.symbol, detail: `${id.kind} ${id.name} = [${id.id}]: only ${others.map((o) => `[${o}]`).join(', ')}, of another kind`, evidence }, site);
        } else {
          missing.add({ kind: id.kind, name: id.name }, { symbol: id.symbol, detail: `${id.kind} ${id.name} = [${id.id}]: none in the new BTF`, evidence }, site);
        }
      } else if (ctx.frozen.isModule && ctx.relink.use === 'as-is' && id.id !== 0 && !found.includes(id.id)) {
        // Only a .ko loaded as it is keeps the ids its build resolved; relinked, resolve_btfids
        // fills them in again from the new BTF.
        const meansNow = ctx.kernel.btfTypeName(id.id);
        const now = meansNow !== undefined ? `; [${id.id}] is ${meansNow || '(anonymous)'} now` : '';
        renumbered.add(
          { kind: id.kind, name: id.name, frozenId: id.id, kernelIds: found, meansNow },
          {
            symbol: id.symbol,
            detail: `${id.kind} ${id.name}: [${id.id}] → [${found.join(', ')}]${now}`,
            evidence: [frozen, { label: 'new kernel', file: ctx.kernel.vmlinuxFile, section: '.BTF', detail: `${id.kind} ${id.name} = [${found.join(', ')}]` }],
          },
          { before: `[${id.id}]`, after: `[${found.join(', ')}]` },
        );
      }
    }
    const emit = (data: FindingData<'btf-id-unresolved'>, group: { sites: readonly Site[]; first: { before: string; after: string } | undefined }) => {
      if (group.sites.length === 0) return;
      const single = group.sites.length === 1 ? group.first : undefined;
      out.push(
        primitiveFinding(entry, ctx, {
          id: 'btf-id-unresolved',
          symbol: single && group.sites[0]!.symbol,
          data,
          before: single?.before,
          after: single?.after,
          evidence: [],
          sites: group.sites,
        }),
      );
    };
    emit({ case: 'missing', ids: missing.ids }, missing);
    emit({ case: 'other-kind', ids: otherKind.ids }, otherKind);
    emit({ case: 'renumbered', ids: renumbered.ids }, renumbered);
    const p = entry.parameters;
    const since = catalogueVersion(p.kfuncFlagSince);
    const version = ctx.kernel.version();
    const registers = p.registration.filter((r) => ctx.frozen.imports.has(r));
    if (version && compareSeries(version, since) >= 0 && registers.length > 0) {
      for (const s of sets) {
        if (s.kind !== 'set8' || s.flags === undefined || (s.flags & p.kfuncFlag) !== 0) continue;
        out.push(
          primitiveFinding(entry, ctx, {
            id: 'btf-set-flags-missing',
            symbol: `__BTF_ID__set8__${s.name}`,
            data: { set: s.name, count: s.count, since: p.kfuncFlagSince, registration: registers },
            before: `flags ${s.flags}`,
            after: `flags & ${p.kfuncFlag} (BTF_SET8_KFUNCS)`,
            evidence: [frozenEvidence(ctx, { section: '.BTF_ids', symbol: `__BTF_ID__set8__${s.name}`, detail: `count ${s.count}, flags ${s.flags}` }), { label: 'new kernel', detail: `release ${version.text} (≥ ${p.kfuncFlagSince})` }],
          }),
        );
      }
    }
    return out;
  },
});

/** The ids that fail one way: their data, their sites, and what the first holds and gets (for a finding of one site). */
function unresolved<T>() {
  const group = {
    ids: [] as T[],
    sites: [] as Site[],
    first: undefined as { before: string; after: string } | undefined,
    add(id: T, site: Site, values: { before: string; after: string }) {
      group.ids.push(id);
      group.sites.push(site);
      group.first ??= values;
    },
  };
  return group;
}
