import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { ROOT } from './paths.js';

/** Debian's chromium package (`apt-get install chromium`, .ci/run installs it). */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Screenshots and other files a test leaves for a person to look at (gitignored). */
export const ARTIFACTS = join(ROOT, 'test-artifacts');

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}

/** Headless Chromium, offline. A missing browser is a failure, not a skip: CI installs it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (or set CHROMIUM to a Chromium binary)`);
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // --no-sandbox: CI runs the tests as root, where Chromium's sandbox refuses to start.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
}

export interface OpenedPage {
  /** Console messages of type error, uncaught exceptions, and requests the page made (it must make none). */
  readonly errors: string[];
  readonly requests: string[];
  readonly text: string;
  /** Each finding's id, as shown (innerText of the visible id elements). */
  readonly visibleIds: string[];
  readonly verdict: string;
}

/** Loads `html` into a page, takes a full-page screenshot to `screenshot`, and reports what was seen. */
export async function openHtml(browser: Browser, html: string, screenshot: string): Promise<OpenedPage> {
  const page = await browser.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.setRequestInterception(true);
  page.on('request', (r) => {
    if (r.url().startsWith('data:') || r.url() === 'about:blank') return void r.continue();
    requests.push(r.url());
    void r.abort();
  });
  await page.setViewport({ width: 1100, height: 900 });
  await page.setContent(html, { waitUntil: 'load' });
  await page.screenshot({ path: screenshot as `${string}.png`, fullPage: true });
  // A string, evaluated in the page: the project's types have no DOM (tsconfig lib), and should not.
  const seen = (await page.evaluate(`(() => {
    const visible = (e) => {
      const r = e.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden';
    };
    return {
      text: document.body.innerText,
      visibleIds: [...document.querySelectorAll('section.finding code.id')].filter(visible).map((e) => e.innerText),
      verdict: [...document.querySelectorAll('#verdict')].filter(visible).map((e) => e.innerText).join(''),
    };
  })()`)) as { text: string; visibleIds: string[]; verdict: string };
  await page.close();
  return { errors, requests, ...seen };
}
