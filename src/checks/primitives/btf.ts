import { Btf } from '../../btf/btf.js';
import { BTF_KIND } from '../../btf/constants.js';
import { matchDistilledBase } from '../../btf/distilled.js';
import { checkSplitBase } from '../../btf/split.js';
import { InputError } from '../../errors.js';
import type { Evidence, Finding } from '../../findings/index.js';
import { int, list, object, str } from '../../schema.js';
import { catalogueVersion, compareSeries } from '../../facts/kernel-version.js';
import { defineDetector, frozenEvidence, primitiveFinding, someNames } from './detector.js';

const KIND: Record<string, number> = { struct: BTF_KIND.STRUCT, union: BTF_KIND.UNION, typedef: BTF_KIND.TYPEDEF, func: BTF_KIND.FUNC };

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
    const graph = ctx.kernel.kernel.btf();
    const idsEvidence = frozenEvidence(ctx, { section: '.BTF_ids', detail: `${ids.length} ids, ${sets.length} sets` });
    if (!graph) {
      return [primitiveFinding(entry, ctx, { id: 'btf-id-unresolved', severity: 'review', message: `the new kernel has no BTF: the ${ids.length} BTF ids of the frozen object could not be resolved`, evidence: [idsEvidence] })];
    }
    const btf = graph.btf;
    const out: Finding[] = [];
    for (const id of ids) {
      const found = btf.idsNamed(id.name, KIND[id.kind]);
      if (found.length === 0) {
        const other = btf.idsNamed(id.name);
        out.push(
          primitiveFinding(entry, ctx, {
            id: 'btf-id-unresolved',
            symbol: id.symbol,
            message: other.length
              ? `BTF id ${id.kind} ${id.name}: the new kernel's BTF has ${id.name} only as another kind (${other.map((o) => `[${o}]`).join(', ')}), so resolve_btfids leaves the id 0`
              : `BTF id ${id.kind} ${id.name}: the new kernel's BTF has no ${id.kind} named ${id.name}, so resolve_btfids leaves the id 0 and whatever uses it fails`,
            before: `${id.kind} ${id.name} = [${id.id}]`,
            after: `no ${id.kind} ${id.name}`,
            evidence: [frozenEvidence(ctx, { section: '.BTF_ids', symbol: id.symbol, detail: `id ${id.id}` }), { label: 'new kernel', file: ctx.kernel.kernel.artifacts.vmlinux, section: '.BTF', detail: `no ${id.kind} ${id.name}` }],
          }),
        );
      } else if (ctx.frozen.isModule && id.id !== 0 && !found.includes(id.id)) {
        out.push(
          primitiveFinding(entry, ctx, {
            id: 'btf-id-unresolved',
            symbol: id.symbol,
            message: `BTF id ${id.kind} ${id.name} is ${id.id} in the frozen module but [${found.join(', ')}] in the new kernel: the module loaded as it is refers to ${btf.has(id.id) ? `${btf.name(id.id) || '(anonymous)'} instead` : 'a type id the kernel does not have'} (relinking runs resolve_btfids again)`,
            before: `[${id.id}]`,
            after: `[${found.join(', ')}]`,
            evidence: [frozenEvidence(ctx, { section: '.BTF_ids', symbol: id.symbol, detail: `id ${id.id}` }), { label: 'new kernel', file: ctx.kernel.kernel.artifacts.vmlinux, section: '.BTF', detail: `${id.kind} ${id.name} = [${found.join(', ')}]` }],
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
    const graph = ctx.kernel.kernel.btf();
    if (!graph) return [];
    const bytes = Buffer.from(mine.split, 'base64');
    const file = ctx.frozen.path;
    const vmlinux: Evidence = { label: 'new kernel', file: ctx.kernel.kernel.artifacts.vmlinux, section: '.BTF', detail: `${graph.btf.typeCount} types, ${graph.btf.strings.total} bytes of strings` };
    if (mine.distilledBase) {
      const distilled = Btf.parse(Buffer.from(mine.distilledBase, 'base64'), file, undefined, { section: '.BTF.base' });
      const split = Btf.parse(bytes, file, distilled);
      const bad = matchDistilledBase(distilled, graph.btf, split).filter((m) => m.status !== 'found');
      if (bad.length === 0) return [];
      return [
        primitiveFinding(entry, ctx, {
          id: 'split-btf-mismatch',
          message: `${bad.length} types of the module's distilled base do not relocate onto the new vmlinux BTF (${someNames(bad.map((m) => `${m.kind.toLowerCase()} ${m.name}: ${m.status}`), entry.parameters.examples)}): the loader rejects the module's BTF`,
          before: '.BTF.base relocates by name',
          after: `${bad.length} unmatched`,
          evidence: [frozenEvidence(ctx, { section: '.BTF.base', detail: `${distilled.typeCount} types` }), vmlinux],
        }),
      ];
    }
    let check;
    try {
      check = checkSplitBase(bytes, file, graph.btf, { examples: entry.parameters.examples });
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      return [primitiveFinding(entry, ctx, { id: 'split-btf-mismatch', message: `the module's .BTF cannot be read at all: ${err.problem}`, evidence: [frozenEvidence(ctx, { section: '.BTF' }), vmlinux] })];
    }
    if (check.consistent) return [];
    const counts = Object.entries(check.counts).map(([k, n]) => `${n} ${k}`).join(', ');
    return [
      primitiveFinding(entry, ctx, {
        id: 'split-btf-mismatch',
        message: `the module's split BTF was built on another vmlinux (${counts}): read on the new kernel's BTF its type ids and names point at other types${check.facts.baseStringLength !== undefined ? ` (built against ${check.facts.baseStringLength} bytes of base strings; the new base has ${check.baseStringLength})` : ''}`,
        before: check.facts.baseStringLength !== undefined ? `base strings: ${check.facts.baseStringLength} bytes` : `split BTF: ${check.facts.ownCount} types`,
        after: `base strings: ${check.baseStringLength} bytes, ${check.baseTypeCount} types`,
        evidence: [
          frozenEvidence(ctx, { section: '.BTF', detail: `${check.facts.ownCount} own types; needs a base of ≥ ${check.facts.minBaseTypeCount} types` }),
          ...check.findings.slice(0, entry.parameters.examples).map((f) => frozenEvidence(ctx, { section: '.BTF', location: f.id !== undefined ? `type [${f.id}]` : undefined, detail: `${f.problem}: ${f.detail}` })),
          vmlinux,
        ],
      }),
    ];
  },
});
