import { finding, type Evidence, type Finding, type Site } from '../../findings/index.js';
import { crcHex, someNames, summarizeTypes } from '../../findings/prose.js';
import type { TypeDelta } from '../../graph/changes.js';
import { defineCheck } from '../check.js';
import { exportEntry } from '../support/evidence.js';

interface Changed {
  readonly name: string;
  readonly crcBefore: number;
  readonly crcAfter: number;
  /** The changed types under it a caller can feel, else the deeper ones; most direct first. */
  readonly types: readonly TypeDelta[];
  readonly felt: boolean;
  readonly evidence: readonly Evidence[];
}

type Cause = { case: 'compiler-implicit' | 'not-compared' | 'unfelt' } | { case: 'type'; type: TypeDelta };

/** What moved one import's CRC, in a few words (a site of the as-is refusal). */
function briefly(cause: Cause, felt: boolean): string {
  switch (cause.case) {
    case 'compiler-implicit':
      return 'a call the compiler emits by itself';
    case 'not-compared':
      return 'its prototype could not be compared';
    case 'unfelt':
      return 'nothing a caller can feel';
    case 'type':
      return `${felt ? 'a caller feels' : 'deeper in its closure:'} ${summarizeTypes([cause.type], 1)}`;
  }
}

/**
 * A module records, per import, the CRC of the export it was built against (__versions).
 * A different CRC in the new Module.symvers says something in the export's type closure
 * changed, but not what, and it also moves for changes that do not matter. The signature
 * comparison explains it: which change under it a caller can feel, if any. Loaded as is, the
 * loader compares the CRC itself (kernel/module/version.c check_version) and refuses the
 * module on any difference, felt or not; relinked, modpost writes the new CRC and the
 * difference is information.
 *
 * One finding per explanation, each import a site: the imports whose most direct changed
 * type is the same struct (struct net, under a dozen imports of nf_conntrack), those whose
 * CRC moved for nothing a caller can feel, those the compiler calls by itself, those that
 * could not be compared. Loaded as is, they are one refusal: one finding, each import's own
 * explanation in its site.
 */
export const modversionsCrcCheck = defineCheck({
  name: 'modversions CRCs',
  produces: ['modversions-crc-changed'],
  needs: ['link', 'kernel', 'interfaces'],
  run({ link, kernel, interfaces }) {
    const findings: Finding[] = [];
    const exports = kernel.exports();
    for (const obj of link.frozen) {
      const groups = new Map<string, { cause: Cause; compared: boolean; changed: Changed[] }>();
      for (const v of obj.moduleInfo?.versions ?? []) {
        const e = exports.map.get(v.name);
        if (!e || e.crc === undefined || e.crc === v.crc) continue;
        const closure = interfaces.closureOf(obj, v.name);
        const felt = closure.changed.filter((d) => d.reach.depth <= 1);
        const types = felt.length ? felt : closure.changed.filter((d) => d.reach.depth > 1);
        const cause: Cause = closure.compilerImplicit
          ? { case: 'compiler-implicit' }
          : !closure.compared
            ? { case: 'not-compared' }
            : types.length
              ? { case: 'type', type: types[0]! }
              : { case: 'unfelt' };
        const key = cause.case === 'type' ? `type ${cause.type.name}` : cause.case;
        const group = groups.get(key) ?? { cause, compared: closure.compared, changed: [] };
        group.changed.push({
          name: v.name,
          crcBefore: v.crc,
          crcAfter: e.crc,
          types,
          felt: felt.length > 0,
          evidence: [{ label: 'frozen module', file: obj.path, section: '__versions', symbol: v.name, detail: `CRC ${crcHex(v.crc)}` }, exportEntry(kernel, e)],
        });
        groups.set(key, group);
      }
      const asIs = link.use === 'as-is' && groups.size > 1;
      const asIsSites: Site[] = [];
      const asIsImports: { name: string; crcBefore: number; crcAfter: number }[] = [];
      for (const { cause, compared, changed } of groups.values()) {
        changed.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        const name = cause.case === 'type' ? cause.type.name : undefined;
        const felt = changed.filter((c) => c.felt).length;
        const mixed = felt > 0 && felt < changed.length;
        const sites: Site[] = changed.map((c) => {
          const others = c.types.filter((t) => t.name !== name).map((t) => t.name);
          const how = asIs ? `; ${briefly(cause, c.felt)}` : mixed ? (c.felt ? '; a caller feels it' : '; deeper in its closure') : '';
          return { symbol: c.name, detail: `${crcHex(c.crcBefore)} → ${crcHex(c.crcAfter)}${how}${others.length ? `; also ${someNames(others, 3)}` : ''}`, evidence: c.evidence };
        });
        const one = changed.length === 1 ? changed[0]! : undefined;
        const imports = changed.map(({ name, crcBefore, crcAfter }) => ({ name, crcBefore, crcAfter }));
        if (asIs) {
          asIsSites.push(...sites);
          asIsImports.push(...imports);
          continue;
        }
        findings.push(
          finding('modversions-crc-changed', cause.case === 'type' ? { case: 'type', type: cause.type, felt, imports, use: link.use } : { case: cause.case, imports, use: link.use }, {
            severity: link.use === 'as-is' ? 'link' : compared ? 'info' : 'review',
            object: obj.path,
            symbol: name ?? one?.name,
            before: one && crcHex(one.crcBefore),
            after: one && crcHex(one.crcAfter),
            evidence: [],
            sites,
          }),
        );
      }
      if (asIs) {
        // Loaded as is, the loader refuses the module at the first CRC that differs, whatever moved it: one finding.
        const order = (a: { symbol: string }, b: { symbol: string }) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0);
        asIsSites.sort(order);
        asIsImports.sort((a, b) => order({ symbol: a.name }, { symbol: b.name }));
        findings.push(
          finding('modversions-crc-changed', { case: 'various', imports: asIsImports, use: link.use }, { severity: 'link', object: obj.path, evidence: [], sites: asIsSites }),
        );
      }
    }
    return findings;
  },
});
