import type { Finding } from '../../findings/index.js';
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
    for (const id of ids) {
      if (own(id)) continue;
      const found = ctx.kernel.btfIdsNamed(id.name, id.kind);
      if (found.length === 0) {
        const other = ctx.kernel.btfIdsNamed(id.name);
        out.push(
          primitiveFinding(entry, ctx, {
            id: 'btf-id-unresolved',
            symbol: id.symbol,
            data: other.length ? { case: 'other-kind', kind: id.kind, name: id.name, ids: other } : { case: 'missing', kind: id.kind, name: id.name },
            before: `${id.kind} ${id.name} = [${id.id}]`,
            after: `no ${id.kind} ${id.name}`,
            evidence: [frozenEvidence(ctx, { section: '.BTF_ids', symbol: id.symbol, detail: `id ${id.id}` }), { label: 'new kernel', file: ctx.kernel.vmlinuxFile, section: '.BTF', detail: `no ${id.kind} ${id.name}` }],
          }),
        );
      } else if (ctx.frozen.isModule && ctx.relink.use === 'as-is' && id.id !== 0 && !found.includes(id.id)) {
        // Only a .ko loaded as it is keeps the ids its build resolved; relinked, resolve_btfids
        // fills them in again from the new BTF.
        out.push(
          primitiveFinding(entry, ctx, {
            id: 'btf-id-unresolved',
            symbol: id.symbol,
            data: { case: 'renumbered', kind: id.kind, name: id.name, frozenId: id.id, kernelIds: found, meansNow: ctx.kernel.btfTypeName(id.id) },
            before: `[${id.id}]`,
            after: `[${found.join(', ')}]`,
            evidence: [frozenEvidence(ctx, { section: '.BTF_ids', symbol: id.symbol, detail: `id ${id.id}` }), { label: 'new kernel', file: ctx.kernel.vmlinuxFile, section: '.BTF', detail: `${id.kind} ${id.name} = [${found.join(', ')}]` }],
          }),
        );
      }
    }
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
