import type { Finding } from '../findings/index.js';
import { defineCheck } from './check.js';
import { crcHex, exportEntry } from './evidence.js';

/**
 * A module records, per import, the CRC of the export it was built against (__versions).
 * A different CRC in the new Module.symvers says something in the export's type closure
 * changed, but not what, and it also moves for changes that do not matter: it is reported
 * as the kernel's own checksum, for the signature checks to explain.
 */
export const modversionsCrcCheck = defineCheck({
  name: 'modversions CRCs',
  produces: ['modversions-crc-changed'],
  run(model) {
    const findings: Finding[] = [];
    const exports = model.kernel.exports();
    for (const obj of model.frozen) {
      for (const v of obj.moduleInfo?.versions ?? []) {
        const e = exports.map.get(v.name);
        if (!e || e.crc === undefined || e.crc === v.crc) continue;
        findings.push({
          id: 'modversions-crc-changed',
          severity: 'review',
          object: obj.path,
          symbol: v.name,
          message: `the kernel's own checksum for ${v.name} changed (${crcHex(v.crc)} → ${crcHex(e.crc)}): something in its type closure differs`,
          before: crcHex(v.crc),
          after: crcHex(e.crc),
          evidence: [
            { label: 'frozen module', file: obj.path, section: '__versions', symbol: v.name, detail: `CRC ${crcHex(v.crc)}` },
            exportEntry(model.kernel, e),
          ],
        });
      }
    }
    return findings;
  },
});
