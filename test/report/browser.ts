// Opens a report in headless Chromium (Debian's /usr/bin/chromium through playwright-core) and
// records everything that would mean the file is not self-contained or not whole: pictures that
// did not decode, console errors, failed requests, and any request that is not file: or data:.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface BrowserCheck {
  images: { alt: string; naturalWidth: number; complete: boolean }[];
  consoleErrors: string[];
  failedRequests: string[];
  /** requests for anything but file: and data: URLs */
  externalRequests: string[];
  sectionIds: string[];
  /** path -> screenshot file */
  screenshots: Record<string, string>;
}

export interface CheckOptions {
  /** where screenshots go */
  outDir: string;
  /** element selectors to screenshot, besides the full page */
  elements?: Record<string, string>;
  viewport?: { width: number; height: number };
}

export async function checkInBrowser(htmlFile: string, opts: CheckOptions): Promise<BrowserCheck> {
  const { chromium } = await import('playwright-core');
  // a fresh profile per run: nothing cached or remembered from an earlier run can hide a problem
  const profile = mkdtempSync(join(tmpdir(), 'dcsp-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: opts.viewport ?? { width: 1400, height: 900 },
    deviceScaleFactor: 1,
  });
  try {
    const page = await context.newPage();
    const out: BrowserCheck = { images: [], consoleErrors: [], failedRequests: [], externalRequests: [], sectionIds: [], screenshots: {} };
    page.on('console', (m) => {
      if (m.type() === 'error') out.consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => out.consoleErrors.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => out.failedRequests.push(`${r.url().slice(0, 120)}: ${r.failure()?.errorText ?? '?'}`));
    page.on('request', (r) => {
      const url = r.url();
      if (!url.startsWith('file:') && !url.startsWith('data:')) out.externalRequests.push(url);
    });
    await page.goto(pathToFileURL(htmlFile).href, { waitUntil: 'load' });
    out.images = await page.evaluate(() => Array.from(document.images).map((i) => ({ alt: i.alt, naturalWidth: i.naturalWidth, complete: i.complete })));
    out.sectionIds = await page.evaluate(() => Array.from(document.querySelectorAll('section')).map((s) => s.id));
    const full = join(opts.outDir, 'report-full.png');
    await page.screenshot({ path: full, fullPage: true });
    out.screenshots.full = full;
    for (const [name, selector] of Object.entries(opts.elements ?? {})) {
      const file = join(opts.outDir, `report-${name}.png`);
      await page.locator(selector).screenshot({ path: file });
      out.screenshots[name] = file;
    }
    return out;
  } finally {
    await context.close();
  }
}
