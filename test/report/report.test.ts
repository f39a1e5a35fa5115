// The report on a real (micro) run: the stage through the CLI over a cached DAG, the writer on its
// own (sweep table, lineage found from eval alone), the pictures against their sources, and the
// file in headless Chromium. Chromium is required in CI (.ci/run installs it); locally the browser
// test is skipped with a message when /usr/bin/chromium is missing. The run is the light micro
// (../e2e/light-micro.ts): 12 train and 8 val images, so the report still samples 8 of each.
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { Dataset } from '../../lib/layouts/dataset.ts';
import { colorizeLabels } from '../../lib/data/palette.ts';
import { loadPipeline } from '../../lib/dag/load.ts';
import { writeReport } from '../../lib/report/index.ts';
import { Artifact } from '../../lib/store/artifact.ts';
import { CHROMIUM, checkInBrowser } from './browser.ts';
import { LIGHT_MICRO, LIGHT_MICRO_SETTINGS } from '../e2e/light-micro.ts';
import { runLogName } from '../../lib/watch/events-dir.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const cache = mkdtempSync(join(tmpdir(), 'dcsp-report-'));
const UPSTREAM = ['dataset', 'saliency-s1', 'erase-s2', 'erase-s3', 'fcan-pretrain', 'attention', 'cues', 'train', 'adapt', 'retrain', 'eval'];

const haveChromium = existsSync(CHROMIUM);
const inCi = Boolean(process.env.CI);
if (!haveChromium && !inCi) console.warn(`report browser test skipped: ${CHROMIUM} not found (apt-get install -y chromium); in CI it fails instead`);
const browserIt = haveChromium || inCi ? it : it.skip;

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await execa(process.execPath, [join(ROOT, 'bin/pipeline.mjs'), ...args, '--profile', 'micro', ...LIGHT_MICRO, '--cache', cache], {
    cwd: ROOT,
    reject: false,
  });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** the run's refs namespace: micro and a digest of the light settings (set by the first run) */
let variant = '';
const dirOf = (stage: string): string => join(cache, stage, readFileSync(join(cache, 'refs', variant, stage), 'utf8').trim());

/** The data: URI of the <img> with this alt text. */
function imgSrc(html: string, alt: string): string {
  const m = new RegExp(`<img src="(data:image/png;base64,[^"]+)" alt="${alt}"`).exec(html);
  if (!m) throw new Error(`no picture "${alt}"`);
  return m[1];
}

describe('report on the micro profile', () => {
  let reportFile: string;
  let html: string;
  let outcomes: { stage: string; status: string; metrics: Record<string, number> }[];
  let runPage: string;
  let runPageHtml: string;

  beforeAll(async () => {
    const upstream = await cli(['run', '--until', 'eval']);
    expect(upstream.code, upstream.stderr.slice(-3000)).toBe(0);
    const variants = readdirSync(join(cache, 'refs'));
    expect(variants).toHaveLength(1);
    expect(variants[0]).toMatch(/^micro@[0-9a-f]{10}$/);
    variant = variants[0];
    // the report stage alone, over the DAG that is now cached
    const r = await cli(['run', '--json']);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    outcomes = (JSON.parse(r.stdout) as { outcomes: typeof outcomes }).outcomes;
    reportFile = join(dirOf('report'), 'report.html');
    html = readFileSync(reportFile, 'utf8');
    runPage = (JSON.parse(r.stdout) as { report: string }).report;
    runPageHtml = readFileSync(runPage, 'utf8');
  }, 600_000);

  it('the report stage writes one self-contained HTML file over the cached DAG', async () => {
    expect(outcomes.at(-1)).toMatchObject({ stage: 'report', status: 'run' });
    // what --until eval made is found in the cache; the comparison evals (eval-direct, oracle) may run now
    expect(outcomes.filter((o) => UPSTREAM.includes(o.stage)).every((o) => o.status === 'cached')).toBe(true);
    const metrics = outcomes[outcomes.length - 1].metrics;
    expect(metrics.trainSamples).toBe(8);
    expect(metrics.valSamples).toBe(8);
    expect(metrics.bytes).toBe(statSync(reportFile).size);
    // self-contained: every picture inlined, no scripts, no external URLs of any kind
    const srcs = [...html.matchAll(/<img src="([^"]*)"/g)].map((m) => m[1]);
    expect(srcs.length).toBe(metrics.pictures);
    expect(srcs.every((s) => s.startsWith('data:image/png;base64,'))).toBe(true);
    expect(/<script|https?:\/\/|<link rel="stylesheet"|@import|url\((?!#)/i.exec(html)?.[0] ?? null).toBeNull();

    // the DAG: every stage with its short key; what a run did (times, cache hits) is not part of
    // the artifact, which must be a function of its key, but `pipeline report` shows it
    const { execa } = await import('execa');
    const live = join(cache, 'live-report.html');
    const cmd = await execa(
      process.execPath,
      [join(ROOT, 'bin/pipeline.mjs'), 'report', '--profile', 'micro', ...LIGHT_MICRO, '--cache', cache, '--out', live],
      {
        cwd: ROOT,
        reject: false,
      },
    );
    expect(cmd.exitCode, String(cmd.stderr)).toBe(0);
    const liveHtml = readFileSync(live, 'utf8');
    for (const o of outcomes.slice(0, -1)) {
      const key = readFileSync(join(cache, 'refs', variant, o.stage), 'utf8').trim();
      const state = (h: string): string | undefined => new RegExp(`<g class="node (\\w+)"><title>${o.stage} ${key}`).exec(h)?.[1];
      expect(state(html), o.stage).toBe('unknown');
      expect(state(liveHtml), o.stage).toBe(o.status);
      expect(html).toContain(`>${key.slice(0, 12)}</code>`);
    }
    expect(html).toContain('class="node this"');
    expect(html).not.toMatch(/<th>time<\/th>|<th>it\/s<\/th>/);
    expect(liveHtml).toMatch(/<th>time<\/th>/);

    // Fig. 1 rows: 8 train images, each with I, one A per class, S1..S3, M, M', GT
    const dataset = await Dataset.open(await Artifact.open(dirOf('dataset')));
    const rows = [...html.matchAll(/<div class="fig-row"><div class="fig-head"><b>([^<]+)<\/b>/g)].map((m) => m[1]);
    const train = rows.filter((id) => id.startsWith('train_'));
    expect(train).toHaveLength(8);
    expect(rows.filter((id) => id.startsWith('val_'))).toHaveLength(8);
    const multi = dataset.ids('train').filter((id) => dataset.labels(id).length >= 2).length;
    expect(train.filter((id) => dataset.labels(id).length >= 2).length).toBe(Math.min(8, multi));
    for (const id of train) {
      for (const c of dataset.labels(id)) expect(html).toContain(`alt="${id}: attention of ${dataset.index.classNames[c]}"`);
      for (const what of ['image', 'saliency S1', 'saliency S2', 'saliency S3', 'cues of Algorithm 1', 'cues after adapt', 'ground truth']) {
        expect(html).toContain(`alt="${id}: ${what}"`);
      }
    }

    // metric tables carry the stage metrics, with the comparison rows when the DAG has them
    const ev = (await Artifact.open(dirOf('eval'))).manifest.metrics as { meanIoU: number };
    expect(html).toContain(`<b>${(ev.meanIoU * 100).toFixed(1)}%</b><span>mIoU on val</span>`);
    const stages = outcomes.map((o) => o.stage);
    if (stages.includes('eval-oracle')) expect(html).toContain('<b>oracle (trained on ground-truth cues)</b>');
    if (stages.includes('eval-direct')) expect(html).toMatch(/alt="val_\d+: no joint training"/);
    for (const h of ['Cue quality', 'Saliency quality', 'Classifier and attention', 'Training']) expect(html).toContain(`<h3>${h}`);
    // one loss chart and one learning-rate chart per training stage
    for (const s of ['fcan-pretrain', 'train', 'retrain']) {
      expect(html).toContain(`aria-label="${s}: loss"`);
      expect(html).toContain(`aria-label="${s}: learning rate"`);
    }

    const again = await cli(['run', '--json']);
    const last = (JSON.parse(again.stdout) as { outcomes: { stage: string; status: string }[] }).outcomes.at(-1)!;
    expect(last).toMatchObject({ stage: 'report', status: 'cached' });
  }, 240_000);

  it('a report is keyed on everything it shows: another retrain seed gets its own, and a run finds its own', async () => {
    // retrain is not a declared input of the report, yet its key, params and curve are in it
    const key = (stage: string): string => readFileSync(join(cache, 'refs', variant, stage), 'utf8').trim();
    const before = { report: key('report'), retrain: key('retrain') };
    const other = await cli(['run', '--set', 'retrain.seed=1235', '--json']);
    expect(other.code, other.stderr.slice(-3000)).toBe(0);
    const outs = (JSON.parse(other.stdout) as { outcomes: { stage: string; key: string; status: string }[] }).outcomes;
    const theirs = Object.fromEntries(outs.map((o) => [o.stage, o.key]));
    expect(theirs.retrain).not.toBe(before.retrain);
    expect(theirs.report).not.toBe(before.report);
    const page = (k: string): string => readFileSync(join(cache, 'report', k, 'report.html'), 'utf8');
    expect(page(theirs.report)).toContain(`<title>retrain ${theirs.retrain}`);
    expect(page(theirs.report)).not.toContain(before.retrain);
    expect(page(before.report)).toContain(`<title>retrain ${before.retrain}`);
    expect(page(before.report)).not.toContain(theirs.retrain);
    // the configured run again: all cached, and it points at its own report
    const mine = await cli(['run']);
    expect(mine.code, mine.stderr.slice(-3000)).toBe(0);
    // the run's own page first (its facts), then the committed artifact it points at
    expect(mine.stdout).toContain(`(results only, as the report stage committed it: ${join(cache, 'report', before.report, 'report.html')})`);
    expect(mine.stderr).toContain('0 stage(s) ran');
  }, 300_000);

  it('label-map pictures are the ground truth in the dataset palette, pixel for pixel', async () => {
    const dataset = await Dataset.open(await Artifact.open(dirOf('dataset')));
    const id = [...html.matchAll(/alt="(val_\d+): ground truth"/g)][0][1];
    const gt = (await dataset.readGt(id))!;
    const want = colorizeLabels(gt, dataset.index.palette);
    const got = await sharp(Buffer.from(imgSrc(html, `${id}: ground truth`).split(',')[1], 'base64'))
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([got.info.width, got.info.height]).toEqual([gt.width, gt.height]);
    expect(Buffer.compare(got.data, Buffer.from(want.data))).toBe(0);
  });

  it('writeReport from the eval artifact alone finds the rest upstream and adds a sweep table', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'dcsp-report-w-')), 'r.html');
    // the stage behind each slot comes from the resolved pipeline, as `pipeline report` does it
    const p = await loadPipeline(join(ROOT, 'pipeline.yaml'), { profile: 'micro' });
    const r = await writeReport({
      artifacts: { eval: dirOf('eval') },
      stages: p.stages.get('report')!.inputs,
      samples: 2,
      out,
      sweep: [
        { variant: { 'eval.crf': 'false' }, metrics: { 'eval.meanIoU': 0.1 } },
        { variant: { 'eval.crf': 'true' }, metrics: { 'eval.meanIoU': 0.2 } },
      ],
    });
    expect(r.samples.train).toHaveLength(2);
    expect(r.samples.val).toHaveLength(2);
    // the report's own inputs (saliency, attention, cues, adapt) all lie upstream of eval
    expect(r.stages).toBe(UPSTREAM.length);
    const h = readFileSync(out, 'utf8');
    expect(h).toContain('<section id="sweep">');
    expect(h).toContain('<b>0.2</b>');
    expect(h).toMatch(/alt="train_\d+: saliency S3"/);
    expect(h).not.toContain('class="node this"');
  });

  browserIt(
    'opens in headless Chromium: every picture decodes, no errors, no requests',
    async () => {
      if (!haveChromium) throw new Error(`${CHROMIUM} is missing: CI must install it (.ci/run: apt-get install -y chromium)`);
      const shots = mkdtempSync(join(tmpdir(), 'dcsp-report-shots-'));
      const c = await checkInBrowser(reportFile, { outDir: shots, elements: { fig1: '#fig1', dag: '#dag' } });
      console.log(`report screenshots in ${shots}`);
      expect(c.images.length).toBe([...html.matchAll(/<img /g)].length);
      expect(c.images.filter((i) => !i.complete || i.naturalWidth === 0)).toEqual([]);
      expect(c.consoleErrors).toEqual([]);
      expect(c.failedRequests).toEqual([]);
      expect(c.externalRequests).toEqual([]);
      expect(c.sectionIds).toEqual(['summary', 'dag', 'fig1', 'predictions', 'metrics', 'curves']);
      // the screenshots show a page, not a blank: many colours, real contrast
      for (const file of Object.values(c.screenshots)) {
        const stats = await sharp(file).stats();
        expect(stats.channels[0].stdev).toBeGreaterThan(20);
      }
      const meta = await sharp(c.screenshots.fig1).metadata();
      expect(meta.height).toBeGreaterThan(8 * 124);
    },
    120_000,
  );

  it("the page a run points to carries that run's facts: computed or cached, and times, for every stage", async () => {
    const nodeState = (h: string, stage: string): string | undefined => new RegExp(`<g class="node (\\w+)"><title>${stage} [0-9a-f]{64}`).exec(h)?.[1];
    expect(runPage).toBe(join(cache, 'runs', runLogName('micro', [...LIGHT_MICRO_SETTINGS]), 'report.html'));
    for (const o of outcomes.slice(0, -1)) expect(nodeState(runPageHtml, o.stage), o.stage).toBe(o.status);
    expect(runPageHtml).not.toContain('no run record');
    expect(runPageHtml).toMatch(/<th>last run<\/th><th>time<\/th>/);
    // the trainings' checkpoint measures, from the run's scalars files (run facts: not in the artifact)
    expect(runPageHtml).toContain('<h3>At each checkpoint</h3>');
    expect(runPageHtml).toMatch(/>val mAP<[\s\S]*>val mIoU</);
    expect(html).not.toContain('At each checkpoint');
    // a second run finds everything cached and says so, on the page it prints
    const again = await cli(['run']);
    expect(again.code, again.stderr.slice(-2000)).toBe(0);
    expect(again.stdout).toContain(`report: ${runPage}\n  (results only, as the report stage committed it: ${reportFile})`);
    const second = readFileSync(runPage, 'utf8');
    for (const o of outcomes.slice(0, -1)) expect(nodeState(second, o.stage), o.stage).toBe('cached');
    // the artifact itself is untouched by either: results only
    expect(readFileSync(reportFile, 'utf8')).toBe(html);
  });
});
