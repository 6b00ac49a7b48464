import type { Finding } from '../../findings/index.js';
import type { TypeDelta } from '../../model/compare.js';
import { defineCheck } from '../check.js';
import { crcHex, exportEntry } from '../support/evidence.js';
import { describeChange } from '../../findings/prose.js';

function summarize(deltas: readonly TypeDelta[]): string {
  const shown = deltas.slice(0, 3).map((d) => `${d.name} (${describeChange(d.changes[0]!)}${d.changes.length > 1 ? `, +${d.changes.length - 1} more` : ''})`);
  return `${shown.join('; ')}${deltas.length > 3 ? `; and ${deltas.length - 3} more types` : ''}`;
}

/**
 * A module records, per import, the CRC of the export it was built against (__versions).
 * A different CRC in the new Module.symvers says something in the export's type closure
 * changed, but not what, and it also moves for changes that do not matter. The signature
 * comparison explains it: which change under it a caller can feel, if any.
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
        let explanation: string;
        if (closure.compilerImplicit) {
          explanation = 'a call the compiler emits by itself, whose interface the compiler fixes; see the build-primitive checks';
        } else if (!closure.compared) {
          explanation = 'its prototype could not be compared (no declaration in the object, or none in the new kernel)';
        } else if (felt.length) {
          explanation = `explained by changes a caller can feel: ${summarize(felt)}`;
        } else if (deep.length) {
          explanation = `its prototype and the types it passes are unchanged; the closure changed deeper: ${summarize(deep)}`;
        } else {
          explanation = 'no ABI-relevant change in its prototype or type closure: the CRC moved for something a caller cannot feel';
        }
        findings.push({
          id: 'modversions-crc-changed',
          severity: closure.compared ? 'info' : 'review',
          object: obj.path,
          symbol: v.name,
          message: `the kernel's own checksum for ${v.name} changed (${crcHex(v.crc)} → ${crcHex(e.crc)}): ${explanation}`,
          before: crcHex(v.crc),
          after: crcHex(e.crc),
          evidence: [
            { label: 'frozen module', file: obj.path, section: '__versions', symbol: v.name, detail: `CRC ${crcHex(v.crc)}` },
            exportEntry(kernel, e),
          ],
        });
      }
    }
    return findings;
  },
});
