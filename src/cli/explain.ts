import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { FINDING_IDS, FINDING_KINDS, docPage, type FindingId } from '../findings/index.js';
import { readInputText } from '../input-file.js';
import { packageRoot } from '../version.js';

/**
 * `relinkable explain [id]`: a finding's page (docs/findings/<id>.md), read from the
 * package relinkable runs from — the pages ship with it (package.json "files") — so that the
 * page matches the version that wrote the report. Without an id, the ids with their
 * severity and title.
 */
export function explain(id: string | undefined): string {
  if (id === undefined) {
    const width = Math.max(...FINDING_IDS.map((i) => i.length));
    return `${FINDING_IDS.map((i) => `${i.padEnd(width)}  ${FINDING_KINDS[i].severity.padEnd(7)}  ${FINDING_KINDS[i].title}`).join('\n')}\n`;
  }
  if (!(FINDING_IDS as readonly string[]).includes(id)) throw new UsageError(`explain ${id}: not a finding id (relinkable explain lists them)`);
  const root = packageRoot();
  if (root === undefined) throw new UsageError('explain: relinkable cannot find its own package, where the finding pages are');
  return readInputText(join(root, docPage(id as FindingId)), 'finding page');
}
