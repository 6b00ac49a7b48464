import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/checks/index.js';
import { certifiedBytesCheck } from '../../src/checks/verify/certified-bytes.js';
import { integrityCheck } from '../../src/checks/verify/integrity.js';
import { FINDING_IDS, FINDING_KINDS, docPage } from '../../src/findings/index.js';
import { ROOT } from '../support/paths.js';

describe('finding kinds and their pages', () => {
  it('every finding kind has a page, and every page a finding kind', () => {
    const pages = readdirSync(join(ROOT, 'docs', 'findings'))
      .filter((f) => f.endsWith('.md') && f !== 'README.md')
      .map((f) => f.slice(0, -3))
      .sort();
    expect(pages).toEqual([...FINDING_IDS].sort());
  });

  it.each(FINDING_IDS)('%s: the page names the id, its severity and what to do', (id) => {
    const path = join(ROOT, docPage(id));
    expect(existsSync(path)).toBe(true);
    const text = readFileSync(path, 'utf8');
    expect(text.split('\n')[0]).toBe(`# ${id}`);
    expect(text).toContain(`Severity: **${FINDING_KINDS[id].severity}**`);
    expect(text).toMatch(/## What to do/);
  });

  it('every finding kind is produced by exactly one check (check\'s, or verify\'s)', () => {
    for (const id of FINDING_IDS) expect([...CHECKS, certifiedBytesCheck, integrityCheck].filter((c) => c.produces.includes(id)).map((c) => c.name)).toHaveLength(1);
  });
});
