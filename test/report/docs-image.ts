// Makes the picture of the report in docs/report.md (docs/img/report.png): the Fig. 1 section of a report,
// screenshotted in headless Chromium, cut to its first rows and stored as an indexed PNG.
//   node --import tsx test/report/docs-image.ts <report.html> [out.png] [rows]
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { checkInBrowser } from './browser.ts';

const [reportFile, outArg, rowsArg] = process.argv.slice(2);
if (!reportFile) {
  console.error('usage: docs-image.ts <report.html> [out.png] [rows]');
  process.exit(2);
}
const out = resolve(outArg ?? 'docs/img/report.png');
const rows = Number(rowsArg ?? 4);
const dir = mkdtempSync(join(tmpdir(), 'dcsp-docs-image-'));
const c = await checkInBrowser(resolve(reportFile), { outDir: dir, elements: { fig1: '#fig1' }, viewport: { width: 1400, height: 900 } });
if (c.images.some((i) => i.naturalWidth === 0) || c.consoleErrors.length || c.failedRequests.length) throw new Error('the report did not render cleanly');
// cut after the last requested row: the row boundaries are the grey rules above each row
const meta = await sharp(c.screenshots.fig1).metadata();
const cut = await rowBottom(c.screenshots.fig1, rows);
await sharp(c.screenshots.fig1)
  .extract({ left: 0, top: 0, width: meta.width!, height: Math.min(meta.height!, cut) })
  .png({ palette: true, colours: 256, compressionLevel: 9, effort: 10 })
  .toFile(out);
const size = statSync(out).size;
console.log(`wrote ${out} (${meta.width}x${Math.min(meta.height!, cut)}, ${(size / 1024).toFixed(0)} KiB)`);

/** y just below the `rows`-th figure row: scan the left margin column for the row rules. */
async function rowBottom(file: string, n: number): Promise<number> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const x = Math.round(info.width / 2);
  const rules: number[] = [];
  // from y = 4: the section's own top border has the rule colour too
  for (let y = 4; y < info.height; y++) {
    // the rule colour (#dde3ea) across the whole width at this row
    let hits = 0;
    for (const xx of [30, x, info.width - 40]) {
      const i = (y * info.width + xx) * 3;
      if (Math.abs(data[i] - 0xdd) < 6 && Math.abs(data[i + 1] - 0xe3) < 6 && Math.abs(data[i + 2] - 0xea) < 6) hits++;
    }
    if (hits === 3 && (rules.length === 0 || y - rules[rules.length - 1] > 20)) rules.push(y);
  }
  return rules.length > n ? rules[n] + 1 : info.height;
}
