import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'puppeteer-core';
import type { Report } from '../../src/report/report.js';
import type { VerifyReport } from '../../src/report/verify.js';
import { artifactPath, launchChromium, openHtml } from '../support/browser.js';
import { FIXTURES, FROZEN_DRIVER, NEW_KERNEL } from '../support/paths.js';
import { evidenceBundle } from '../support/evidence.js';

describe('the HTML report in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('loads offline with no console error, shows the verdict and every finding id, coloured diffs, evidence collapsed', async () => {
    const bundle = await evidenceBundle([FROZEN_DRIVER, '--kernel', NEW_KERNEL, '--fail-on', 'never']);
    const report = JSON.parse(bundle.files['report.json']!) as Report;
    const html = bundle.files['report.html']!;
    const shot = artifactPath('rng_driver-report.png');
    const seen = await openHtml(browser, html, shot);
    expect(seen.errors).toEqual([]);
    expect(seen.requests).toEqual([]);
    expect(seen.verdict).toBe('WILL NOT LINK');
    expect(seen.visibleIds).toEqual(report.findings.map((f) => f.id));
    expect(report.findings).toHaveLength(19);
    expect(seen.text).toContain('Gate: PASSED (--fail-on never)');
    expect(html.match(/<span class="add">/g)?.length).toBeGreaterThan(0);
    expect(html.match(/<span class="del">/g)?.length).toBeGreaterThan(0);
    // Evidence is in collapsed details: its text is not shown until opened.
    // Paths under the working directory are written relative to it in the documents.
    expect(html).not.toContain(NEW_KERNEL);
    expect(seen.text).not.toContain('also defined by: fixtures/new-kernel/vmlinux');
    expect(html).toContain('also defined by: fixtures/new-kernel/vmlinux');
    expect(existsSync(shot) && statSync(shot).size).toBeGreaterThan(20_000);
  });

  it('a verify report: the verdict, every finding id, the section tables', async () => {
    // rng_driver.o was never linked into the fixture vmlinux: a proof that fails, with findings to show.
    const bundle = await evidenceBundle([FROZEN_DRIVER, '--linked', join(NEW_KERNEL, 'vmlinux')], '1764756000', 'verify');
    const report = JSON.parse(bundle.files['report.json']!) as VerifyReport;
    const seen = await openHtml(browser, bundle.files['report.html']!, artifactPath('rng_driver-verify.png'));
    expect([seen.errors, seen.requests, seen.verdict]).toEqual([[], [], 'DIFFERS']);
    expect(seen.visibleIds).toEqual(report.findings.map((f) => f.id));
    expect(report.findings.length).toBeGreaterThan(0);
    expect(seen.text).toContain('.data\t56\t.data 0xffffffff81002020\tplaced: 2 of its 2 symbols agree\t56\t1\t7');
  });

  it('a module as is, from the fixtures: the same', async () => {
    const bundle = await evidenceBundle([join(FIXTURES, 'frozen', 'rng_mod.ko'), '--kernel', NEW_KERNEL]);
    const report = JSON.parse(bundle.files['report.json']!) as Report;
    const seen = await openHtml(browser, bundle.files['report.html']!, artifactPath('rng_mod-report.png'));
    expect([seen.errors, seen.requests, seen.verdict]).toEqual([[], [], 'WILL NOT LINK']);
    expect(seen.visibleIds).toEqual(report.findings.map((f) => f.id));
    expect(seen.text).toContain("Use\tas is: the certified .ko's bytes are loaded unchanged by the new kernel's module loader");
  });
});
