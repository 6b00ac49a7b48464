import { finding, type Finding, type FindingData } from '../../findings/index.js';
import { crcHex } from '../../findings/prose.js';
import { defineCheck } from '../check.js';
import { exportEntry } from '../support/evidence.js';

/**
 * A module records, per import, the CRC of the export it was built against (__versions).
 * A different CRC in the new Module.symvers says something in the export's type closure
 * changed, but not what, and it also moves for changes that do not matter. The signature
 * comparison explains it: which change under it a caller can feel, if any. Loaded as is, the
 * loader compares the CRC itself (kernel/module/version.c check_version) and refuses the
 * module on any difference, felt or not; relinked, modpost writes the new CRC and the
 * difference is information.
 */
export const modversionsCrcCheck = defineCheck({
  name: 'modversions CRCs',
  produces: ['modversions-crc-changed'],
  needs: ['link', 'kernel', 'interfaces'],
  run({ link, kernel, interfaces }) {
    const findings: Finding[] = [];
    const exports = kernel.exports();
    for (const obj of link.frozen) {
      for (const v of obj.moduleInfo?.versions ?? []) {
        const e = exports.map.get(v.name);
        if (!e || e.crc === undefined || e.crc === v.crc) continue;
        const closure = interfaces.closureOf(obj, v.name);
        const felt = closure.changed.filter((d) => d.reach.depth <= 1);
        const deep = closure.changed.filter((d) => d.reach.depth > 1);
        const crcs = { name: v.name, crcBefore: v.crc, crcAfter: e.crc, use: link.use };
        const data: FindingData<'modversions-crc-changed'> = closure.compilerImplicit
          ? { ...crcs, case: 'compiler-implicit' }
          : !closure.compared
            ? { ...crcs, case: 'not-compared' }
            : felt.length
              ? { ...crcs, case: 'felt', types: felt }
              : deep.length
                ? { ...crcs, case: 'deeper', types: deep }
                : { ...crcs, case: 'unfelt' };
        findings.push(
          finding('modversions-crc-changed', data, {
            severity: link.use === 'as-is' ? 'link' : closure.compared ? 'info' : 'review',
            object: obj.path,
            symbol: v.name,
            before: crcHex(v.crc),
            after: crcHex(e.crc),
            evidence: [
              { label: 'frozen module', file: obj.path, section: '__versions', symbol: v.name, detail: `CRC ${crcHex(v.crc)}` },
              exportEntry(kernel, e),
            ],
          }),
        );
      }
    }
    return findings;
  },
});
