import type { Evidence, Finding } from '../../findings/index.js';
import { compareSeries, catalogueVersion } from '../../facts/kernel-version.js';
import { int, list, object, str } from '../../schema.js';
import { defineDetector, frozenEvidence, primitiveFinding, someNames } from './detector.js';

/**
 * BTF ids compiled into an object (.BTF_ids, filled in by resolve_btfids for the kernel it
 * was built for): every name must resolve, with its kind, in the new kernel's BTF. A .ko
 * loaded as it is keeps the old numbers; relinking runs resolve_btfids again, but only for
 * names that still exist. kfunc sets must carry BTF_SET8_KFUNCS once the kernel checks it.
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
    const { btfIds: ids, btfSets: sets } = ctx.build;
    if (ids.length === 0 && sets.length === 0) return [];
    const idsEvidence = frozenEvidence(ctx, { section: '.BTF_ids', detail: `${ids.length} ids, ${sets.length} sets` });
    if (!ctx.kernel.btf()) {
      return [primitiveFinding(entry, ctx, { id: 'btf-id-unresolved', severity: 'review', message: `the new kernel has no BTF: the ${ids.length} BTF ids of the frozen object could not be resolved`, evidence: [idsEvidence] })];
    }
    const out: Finding[] = [];
    for (const id of ids) {
      const found = ctx.kernel.btfIdsNamed(id.name, id.kind);
      if (found.length === 0) {
        const other = ctx.kernel.btfIdsNamed(id.name);
        out.push(
          primitiveFinding(entry, ctx, {
            id: 'btf-id-unresolved',
            symbol: id.symbol,
            message: other.length
              ? `BTF id ${id.kind} ${id.name}: the new kernel's BTF has ${id.name} only as another kind (${other.map((o) => `[${o}]`).join(', ')}), so resolve_btfids leaves the id 0`
              : `BTF id ${id.kind} ${id.name}: the new kernel's BTF has no ${id.kind} named ${id.name}, so resolve_btfids leaves the id 0 and whatever uses it fails`,
            before: `${id.kind} ${id.name} = [${id.id}]`,
            after: `no ${id.kind} ${id.name}`,
            evidence: [frozenEvidence(ctx, { section: '.BTF_ids', symbol: id.symbol, detail: `id ${id.id}` }), { label: 'new kernel', file: ctx.kernel.vmlinuxFile, section: '.BTF', detail: `no ${id.kind} ${id.name}` }],
          }),
        );
      } else if (ctx.frozen.isModule && id.id !== 0 && !found.includes(id.id)) {
        const meansNow = ctx.kernel.btfTypeName(id.id);
        out.push(
          primitiveFinding(entry, ctx, {
            id: 'btf-id-unresolved',
            symbol: id.symbol,
            message: `BTF id ${id.kind} ${id.name} is ${id.id} in the frozen module but [${found.join(', ')}] in the new kernel: the module loaded as it is refers to ${meansNow !== undefined ? `${meansNow || '(anonymous)'} instead` : 'a type id the kernel does not have'} (relinking runs resolve_btfids again)`,
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
            message: `kfunc set ${s.name} (${s.count} entries) lacks BTF_SET8_KFUNCS, which kernels from ${p.kfuncFlagSince} require: ${registers.join('/')} returns -EINVAL and the kfuncs are not registered`,
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

/**
 * A module's .BTF is split BTF numbered on top of the vmlinux it was built with. Read on
 * another vmlinux, ids and string offsets silently name other types (bpftool prints garbage;
 * the loader may accept it): the string length it was built against is recovered and
 * compared, and the anomalies on the new base are counted. With a distilled base
 * (.BTF.base), relocation by name is checked instead.
 */
export const splitBtf = defineDetector({
  name: 'split-btf',
  produces: ['split-btf-mismatch'],
  parameters: object({ examples: int(1, 20) }),
  run(entry, ctx): Finding[] {
    const mine = ctx.build.btf;
    if (!mine) return [];
    const base = ctx.kernel.btf();
    if (!base) return [];
    const examples = entry.parameters.examples;
    const vmlinux: Evidence = { label: 'new kernel', file: ctx.kernel.vmlinuxFile, section: '.BTF', detail: `${base.types} types, ${base.stringBytes} bytes of strings` };
    const fit = ctx.kernel.splitBtfFit(mine.split, mine.distilledBase, ctx.frozen.path, examples);
    if (fit.fits) return [];
    switch (fit.how) {
      case 'distilled-base':
        return [
          primitiveFinding(entry, ctx, {
            id: 'split-btf-mismatch',
            message: `${fit.unmatched.length} types of the module's distilled base do not relocate onto the new vmlinux BTF (${someNames(fit.unmatched.map((m) => `${m.kind.toLowerCase()} ${m.name}: ${m.status}`), examples)}): the loader rejects the module's BTF`,
            before: '.BTF.base relocates by name',
            after: `${fit.unmatched.length} unmatched`,
            evidence: [frozenEvidence(ctx, { section: '.BTF.base', detail: `${fit.distilledTypes} types` }), vmlinux],
          }),
        ];
      case 'unreadable':
        return [primitiveFinding(entry, ctx, { id: 'split-btf-mismatch', message: `the module's .BTF cannot be read at all: ${fit.problem}`, evidence: [frozenEvidence(ctx, { section: '.BTF' }), vmlinux] })];
      case 'other-base': {
        const counts = Object.entries(fit.counts).map(([k, n]) => `${n} ${k}`).join(', ');
        return [
          primitiveFinding(entry, ctx, {
            id: 'split-btf-mismatch',
            message: `the module's split BTF was built on another vmlinux (${counts}): read on the new kernel's BTF its type ids and names point at other types${fit.builtAgainstStrings !== undefined ? ` (built against ${fit.builtAgainstStrings} bytes of base strings; the new base has ${fit.baseStrings})` : ''}`,
            before: fit.builtAgainstStrings !== undefined ? `base strings: ${fit.builtAgainstStrings} bytes` : `split BTF: ${fit.ownTypes} types`,
            after: `base strings: ${fit.baseStrings} bytes, ${fit.baseTypes} types`,
            evidence: [
              frozenEvidence(ctx, { section: '.BTF', detail: `${fit.ownTypes} own types; needs a base of ≥ ${fit.minBaseTypes} types` }),
              ...fit.examples.slice(0, examples).map((f) => frozenEvidence(ctx, { section: '.BTF', location: f.id !== undefined ? `type [${f.id}]` : undefined, detail: `${f.problem}: ${f.detail}` })),
              vmlinux,
            ],
          }),
        ];
      }
    }
  },
});
