import { hex } from '../../errors.js';
import type { Finding, Site } from '../../findings/index.js';
import { someNames } from '../../findings/prose.js';
import type { IndirectTarget } from '../../facts/object-conventions.js';
import { list, object, oneOf, str } from '../../schema.js';
import { configEvidence, defineDetector, frozenEvidence, frozenProducer, primitiveFinding } from './detector.js';
import { effectiveFlag, flagTokens } from '../../facts/compiler.js';

const PADS = ['endbr64', 'endbr32', 'bti-c', 'bti-j', 'bti-jc', 'paciasp', 'pacibsp'] as const;

/** Functions named in evidence per finding; the message names a few, the evidence all. */
const LISTED = 200;

/**
 * IBT / BTI: a kernel that enforces indirect-branch tracking faults (#CP, or a BTI
 * exception) when an indirect call lands on an instruction other than a landing pad. Every
 * frozen function whose address is kept (an ops table, module init/exit, an initcall, a
 * pointer stored by code) is such a target. One finding (the object was built without the
 * pads), each place the addresses are kept a site — jent_alg, __this_module — naming each
 * function without a pad and the slot it sits in.
 */
export const landingPads = defineDetector({
  name: 'landing-pads',
  produces: ['landing-pad-missing'],
  parameters: object({
    config: list(str(), 1),
    pads: list(oneOf(PADS), 1),
    /** The compiler flag family that emits the pads, for evidence: -fcf-protection, -mbranch-protection. */
    flag: str(),
    /** The .note.gnu.property bit: ibt or bti. */
    property: oneOf(['ibt', 'bti']),
    /** Sections whose functions are never branched to indirectly (static-call trampolines, patched in place). */
    exemptSections: list(str()),
  }),
  run(entry, ctx): Finding[] {
    const p = entry.parameters;
    const enforced = ctx.kernel.enabled(p.config);
    if (!enforced) return [];
    const pads = new Set<string>(p.pads);
    const byName = new Map(ctx.conventions.functions.map((f) => [f.name, f]));
    const producer = frozenProducer(ctx.conventions);
    const flag = producer ? (effectiveFlag(flagTokens(producer), [`${p.flag}=`, p.flag]) ?? `no ${p.flag}`) : 'compiler flags unknown';
    const note = ctx.conventions.properties ? `${p.property.toUpperCase()} ${ctx.conventions.properties[p.property] ? 'set' : 'not set'} in .note.gnu.property` : 'no .note.gnu.property';
    const padName = p.pads[0]!;

    // Group by where the addresses are kept: each data object, and the object's own code.
    const CODE = '(code)';
    const groups = new Map<string, IndirectTarget[]>();
    const annotated = new Set(ctx.conventions.noEndbr);
    for (const t of ctx.conventions.indirectTargets) {
      const fn = byName.get(t.function);
      if (!fn || pads.has(fn.entry) || annotated.has(fn.name) || p.exemptSections.includes(fn.section)) continue;
      const key = t.from.symbol && !byName.has(t.from.symbol) ? t.from.symbol : t.from.symbol ? CODE : t.from.section;
      groups.set(key, [...(groups.get(key) ?? []), t]);
    }
    const sites: Site[] = [];
    const holders: { reachedThrough: string | undefined; slots: string[] }[] = [];
    const functions = new Set<string>();
    for (const [holder, targets] of [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const inCode = holder === CODE;
      const slots = targets.map((t) => (t.from.member ? `${holder}${t.from.member} → ${t.function}` : inCode ? `${t.function} (address taken in ${t.from.symbol})` : t.function));
      for (const t of targets) functions.add(t.function);
      const first = byName.get(targets[0]!.function)!;
      holders.push({ reachedThrough: inCode ? undefined : holder, slots });
      sites.push({
        symbol: inCode ? first.name : holder,
        detail: `${inCode ? 'its code takes the addresses of' : 'holds the addresses of'} ${someNames(slots, 4)}`,
        evidence: [
          frozenEvidence(ctx, {
            section: targets[0]!.from.section,
            symbol: inCode ? undefined : holder,
            detail: `${inCode ? 'its code takes the addresses of' : 'holds the addresses of'} ${targets.length} function${targets.length > 1 ? 's' : ''} without ${padName}: ${slots.slice(0, LISTED).join(', ')}${slots.length > LISTED ? `, and ${slots.length - LISTED} more` : ''}`,
          }),
          frozenEvidence(ctx, { section: first.section, symbol: first.name, offset: hex(first.offset), detail: `first instruction is not ${p.pads.join('/')} (${flag}; ${note})` }),
        ],
      });
    }
    if (sites.length === 0) return [];
    return [
      primitiveFinding(entry, ctx, {
        id: 'landing-pad-missing',
        symbol: sites.length === 1 ? sites[0]!.symbol : undefined,
        data: { holders, functions: functions.size, pad: padName, option: enforced.name },
        before: `no landing pads (${flag})`,
        after: `${padName} at every indirect-branch target (CONFIG_${enforced.name}=${enforced.value})`,
        evidence: [configEvidence(ctx, enforced)],
        sites,
      }),
    ];
  },
});
