import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { VerifyReport } from '../../src/report/verify.js';
import { readLinkMap } from '../../src/verify/link-map.js';
import { ELF_FIXTURES } from '../support/paths.js';
import { runCli } from '../support/run.js';

const scratch = mkdtempSync(join(tmpdir(), 'relinkable-link-map-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const OBJECT = join(ELF_FIXTURES, 'i386-relink.o');
const linked = join(scratch, 'i386.out');
const map = join(scratch, 'i386.map');
execFileSync('ld', ['-m', 'elf_i386', '-Ttext=0xc1000000', '-e', 'relink_entry', '-Map', map, OBJECT, join(ELF_FIXTURES, 'i386-relink_other.o'), '-o', linked]);

async function verify(args: string[]): Promise<VerifyReport> {
  const r = await runCli(['verify', ...args, '--format', 'json']);
  if (r.stderr) throw new Error(`unexpected stderr: ${r.stderr}`);
  return JSON.parse(r.stdout) as VerifyReport;
}

describe('verify with the ld map file of the link (-Map)', () => {
  it('reads the map as ld wrote it: each input section of the object with its address and size, as readelf has the output sections', () => {
    const entries = readLinkMap(map).filter((e) => e.input.endsWith('i386-relink.o') && e.size > 0);
    const sections = execFileSync('readelf', ['-SW', linked], { encoding: 'utf8' });
    const text = /\]\s+\.text\s+PROGBITS\s+([0-9a-f]+)/.exec(sections)![1]!;
    // ld puts .text.unlikely first, at the start of the output .text.
    expect(entries.find((e) => e.section === '.text.unlikely')).toMatchObject({ output: '.text', address: BigInt(`0x${text}`), size: 0x21 });
  });

  it('places the sections by the map, with the same result as from the symbols', async () => {
    const bySymbols = await verify([OBJECT, '--linked', linked]);
    const byMap = await verify([OBJECT, '--linked', linked, '--map', map]);
    expect(byMap.findings).toEqual([]);
    expect(byMap.objects[0]!.sections.filter((s) => s.address).map((s) => [s.name, s.placement])).toEqual(
      bySymbols.objects[0]!.sections.filter((s) => s.address).map((s) => [s.name, 'placed: by the map file']),
    );
    expect(byMap.objects[0]!.relocatedFields).toBe(bySymbols.objects[0]!.relocatedFields);
  });

  it('a map that puts .text elsewhere is not believed over the bytes: the comparison at that place differs', async () => {
    const text = readFileSync(map, 'utf8');
    const wrong = join(scratch, 'wrong.map');
    const at = readLinkMap(map).find((e) => e.section === '.text' && e.input === OBJECT)!.address;
    writeFileSync(wrong, text.replace(new RegExp(`^( \\.text\\s+0x0*)${at.toString(16)}`, 'm'), `$1${(at + 4n).toString(16)}`));
    expect(readLinkMap(wrong).find((e) => e.section === '.text' && e.input === OBJECT)!.address).toBe(at + 4n);
    const report = await verify([OBJECT, '--linked', linked, '--map', wrong]);
    expect(report.verdict).toBe('differs');
    expect(new Set(report.findings.map((f) => f.id))).toEqual(new Set(['certified-bytes-changed']));
    expect(report.objects[0]!.sections.find((s) => s.name === '.text')!.address).toBe(`0x${(at + 4n).toString(16)}`);
  });
});
