import type { ObjectVerification, UnverifiedField } from '../../facts/verify.js';
import { finding, type Finding, type FindingId } from '../../findings/index.js';

const hex = (v: bigint | number): string => `0x${v.toString(16)}`;

/**
 * The judgement of `relinkable verify`: every byte of the frozen object that the linked file
 * does not hold as certified (relocations applied) is a finding, as is every section that
 * could not be placed and every relocated field that could not be computed. What the facts
 * state as expected (discarded, merged, padding) is not a finding. Not one of `check`'s
 * checks: its input is a comparison of bytes after the link, not the relink model.
 */
export const certifiedBytesCheck = {
  name: 'certified bytes',
  produces: ['certified-bytes-changed', 'section-unplaced', 'relocation-unverified'] as readonly FindingId[],
  run(v: ObjectVerification, linkedFile: string): Finding[] {
    const out: Finding[] = [];
    for (const s of v.sections) {
      if (s.placement.kind !== 'unplaced') continue;
      out.push(
        finding('section-unplaced', { section: s.name, size: s.size, reason: s.placement.reason }, {
          severity: 'review',
          object: v.object,
          symbol: s.name,
          evidence: [
            { label: 'frozen object', file: v.object, section: s.name, detail: `${s.size} bytes` },
            { label: 'linked file', file: linkedFile, detail: s.placement.reason },
          ],
        }),
      );
    }
    for (const d of v.differences) {
      const relocation = d.relocation ? `${d.relocation.type} ${d.relocation.symbol}${d.relocation.addend < 0n ? `-${hex(-d.relocation.addend)}` : `+${hex(d.relocation.addend)}`}` : null;
      out.push(
        finding(
          'certified-bytes-changed',
          { section: d.section, offset: d.offset, length: d.length, within: d.within ?? null, linkedSection: d.linkedSection, address: hex(d.address), cause: d.cause, relocation, buildStep: d.buildStep ?? null },
          {
            // A rewrite the kernel build makes by design is stated for a human, not alarmed.
            severity: d.buildStep ? 'review' : 'runtime',
            object: v.object,
            symbol: d.within?.replace(/\+0x[0-9a-f]+$/, ''),
            before: d.expected,
            after: d.found,
            evidence: [
              { label: 'frozen object', file: v.object, section: d.section, offset: hex(d.offset), symbol: d.within, detail: `certified, relocated: ${d.expected}` },
              { label: 'linked file', file: linkedFile, section: d.linkedSection, location: `${v.target === 'module' ? 'offset' : 'address'} ${hex(d.address)}`, detail: `found: ${d.found}` },
            ],
          },
        ),
      );
    }
    const groups = new Map<string, UnverifiedField[]>();
    for (const u of v.unverified) {
      const key = `${u.section}\0${u.reason}`;
      let list = groups.get(key);
      if (!list) groups.set(key, (list = []));
      list.push(u);
    }
    for (const list of groups.values()) {
      const first = list[0]!;
      out.push(
        finding('relocation-unverified', { section: first.section, fields: list.length, reason: first.reason }, {
          severity: 'review',
          object: v.object,
          symbol: first.section,
          evidence: [{ label: 'frozen object', file: v.object, section: first.section }],
          sites: list.map((u) => ({
            symbol: u.symbol,
            detail: `${u.type} at ${u.section}+${hex(u.offset)}${u.within ? ` (${u.within})` : ''}`,
            evidence: [{ label: 'relocation', file: v.object, section: u.section, offset: hex(u.offset), symbol: u.within }],
          })),
        }),
      );
    }
    return out;
  },
};
