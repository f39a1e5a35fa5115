// The picture of TensorBoard in docs/watching.md (docs/img/tensorboard.png): TensorBoard serving a cache's logs
// (`tensorboard --logdir DIR --bind_all`, reached on loopback) in headless Chromium, its scalars
// dashboard filtered to the curves a reader looks at first.
//   node --import tsx bench/tensorboard-screenshot.ts <logdir> [out.png] [tag regex] [run regex]
// TensorBoard comes from the tests' venv (test/.venv-tb, made as .ci/run makes it).
import { spawn } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';

const ROOT = resolve(import.meta.dirname, '..');
const TENSORBOARD = join(ROOT, 'test/.venv-tb/bin/tensorboard');
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const [logdirArg, outArg, tagsArg, runsArg] = process.argv.slice(2);
if (!logdirArg) {
  console.error('usage: tensorboard-screenshot.ts <logdir> [out.png] [tag regex] [run regex]');
  process.exit(2);
}
const logdir = resolve(logdirArg);
const out = resolve(outArg ?? join(ROOT, 'docs/img/tensorboard.png'));
const tags = tagsArg ?? '^(loss|loss/l_s|val/mIoU|val/mAP)$';
const runs = runsArg ?? '/(train|fcan-pretrain)$';

const port = await new Promise<number>((done) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = (s.address() as { port: number }).port;
    s.close(() => done(p));
  });
});
const tb = spawn(TENSORBOARD, ['--logdir', logdir, '--bind_all', '--port', String(port), '--reload_interval', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
let tbLog = '';
tb.stderr!.on('data', (d: Buffer) => (tbLog += d.toString()));
const url = `http://127.0.0.1:${port}`;
try {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (tb.exitCode !== null) throw new Error(`tensorboard exited: ${tbLog.slice(-2000)}`);
    const ok = await fetch(`${url}/data/runs`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`tensorboard did not answer on ${url}: ${tbLog.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const all = (await (await fetch(`${url}/data/runs`)).json()) as string[];
  console.log(`tensorboard ${url}: ${all.length} runs (${all.join(', ')})`);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1500, height: 1000 }, deviceScaleFactor: 1 });
    await page.goto(`${url}/?darkMode=false#scalars&tagFilter=${encodeURIComponent(tags)}&regexInput=${encodeURIComponent(runs)}&_smoothingWeight=0`, {
      waitUntil: 'networkidle',
    });
    // the charts draw after their data arrives
    await page.waitForSelector('tf-scalar-card, .scalar-card, vz-line-chart2', { timeout: 60_000 }).catch(() => undefined);
    // whole curves: a checkpoint measure has a handful of points, and none is an outlier to hide
    const outliers = page.getByRole('checkbox', { name: /Ignore outliers/ });
    if (await outliers.isChecked().catch(() => false)) await outliers.click();
    await page.waitForTimeout(4000);
    const dir = mkdtempSync(join(tmpdir(), 'dcsp-tb-shot-'));
    const raw = join(dir, 'tensorboard.png');
    await page.screenshot({ path: raw });
    await sharp(raw).png({ palette: true, colours: 256, compressionLevel: 9, effort: 10 }).toFile(out);
    console.log(`wrote ${out} (${(statSync(out).size / 1024).toFixed(0)} KiB)`);
  } finally {
    await browser.close();
  }
} finally {
  tb.kill('SIGTERM');
}
