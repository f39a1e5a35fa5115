// The whole DCSP DAG on the micro toy profile, through the CLI, then a small sweep over the same
// cache: every stage runs once, a second run is all cached, and sweep variants share the cache.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { VOC_PHOTO_JPG } from '../fixtures/voc-photo.ts';
import { VOC_CLASSES } from '../../lib/types.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const cache = mkdtempSync(join(tmpdir(), 'dcsp-e2e-'));
const STAGES = ['dataset', 'saliency-s1', 'erase-s2', 'erase-s3', 'fcan-pretrain', 'attention', 'cues', 'train', 'adapt', 'retrain', 'eval'];

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await execa(process.execPath, [join(ROOT, 'bin/pipeline.mjs'), ...args, '--profile', 'micro', '--cache', cache], { cwd: ROOT, reject: false });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON metrics, walked by the paths each test asserts on (a wrong path fails its expect)
type Metrics = Record<string, any>;

interface Outcome {
  stage: string;
  status: 'cached' | 'run';
  metrics: Metrics;
}

describe('end to end on the micro profile', () => {
  let outcomes: Outcome[];
  let firstStderr = '';
  beforeAll(async () => {
    const r = await cli(['run', '--until', 'eval', '--json']);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    outcomes = (JSON.parse(r.stdout) as { outcomes: Outcome[] }).outcomes;
    firstStderr = r.stderr;
  }, 600_000);

  it('runs its tensor stages on the backend DCSP_BACKEND names, when it names one (CI: tfjs-node)', () => {
    const wanted = process.env.DCSP_BACKEND;
    const used = [...firstStderr.matchAll(/^backend: (\S+)/gm)].map((m) => m[1]);
    // every stage process that touched tensors printed its choice; a fallback prints 'requested ...'
    expect(used.length).toBeGreaterThan(0);
    if (wanted !== undefined && wanted !== '') expect(new Set(used)).toEqual(new Set([wanted]));
  });

  it('runs every stage once, in dependency order, and each reports its metrics', () => {
    expect(outcomes.map((o) => o.stage)).toEqual(STAGES);
    expect(outcomes.every((o) => o.status === 'run')).toBe(true);
    const m = Object.fromEntries(outcomes.map((o) => [o.stage, o.metrics]));
    expect(m['erase-s3'].quality.objectRecall).toBeGreaterThanOrEqual(m['saliency-s1'].quality.objectRecall);
    expect(m['fcan-pretrain'].iterations).toBe(20);
    expect(typeof m.attention.valMap).toBe('number');
    expect(m.cues.quality.images).toBe(24);
    expect(m.eval.images).toBe(12);
    expect(m.eval.meanIoU).toBeGreaterThan(0);
    expect(m.eval.meanIoU).toBeLessThanOrEqual(1);
  });

  it('a second run is all cached and status agrees', async () => {
    const r = await cli(['run', '--until', 'eval', '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { outcomes: Outcome[] }).outcomes.every((o) => o.status === 'cached')).toBe(true);
    const st = await cli(['status', '--json']);
    const stages = (JSON.parse(st.stdout) as { stages: { stage: string; state: string }[] }).stages;
    expect(stages.filter((s) => s.state === 'cached').map((s) => s.stage)).toEqual(STAGES);
  });

  it('a sweep over eval.crf shares every stage but eval, and tabulates both variants', async () => {
    const r = await cli(['sweep', '--until', 'eval', '--grid', 'eval.crf=false,true', '--json']);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const sweep = JSON.parse(r.stdout) as {
      variants: { labels: Record<string, string>; ok: boolean; stages: Record<string, string>; metrics: Metrics }[];
      stageRuns: number;
      stageHits: number;
      files: string[];
    };
    expect(sweep.variants.map((v) => v.labels['eval.crf'])).toEqual(['false', 'true']);
    expect(sweep.variants.every((v) => v.ok)).toBe(true);
    // crf=true is the profile's default and already cached; crf=false computes eval only
    expect(sweep.stageRuns).toBe(1);
    expect(sweep.variants[0].stages.eval).toBe('run');
    expect(sweep.stageHits).toBe(2 * STAGES.length - 1);
    const csv = readFileSync(sweep.files[1], 'utf8').trim().split('\n');
    expect(csv[0]).toBe('eval.crf,eval.meanIoU,stages_run,ok,error');
    expect(csv).toHaveLength(3);
  });

  it('writes VOC test-server PNGs and an upload archive for the test split', async () => {
    const r = await cli(['run', '--until', 'eval', '--json', '--set', 'eval.split=test']);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const evalKey = (JSON.parse(r.stdout) as { outcomes: (Outcome & { key: string })[] }).outcomes.find((o) => o.stage === 'eval')!.key;
    const dir = join(cache, 'eval', evalKey);
    const { readLabelPng } = await import('../../lib/data/label-png.ts');
    const { readdirSync } = await import('node:fs');
    const pngDir = join(dir, 'results/VOC2012/Segmentation/comp6_test_cls');
    const names = readdirSync(pngDir).sort();
    expect(names).toHaveLength(4);
    const { Dataset } = await import('../../lib/layouts/dataset.ts');
    const { Artifact } = await import('../../lib/store/artifact.ts');
    const dsKey = readdirSync(join(cache, 'dataset')).find((e) => /^[0-9a-f]{64}$/.test(e))!;
    const ds = await Dataset.open(await Artifact.open(join(cache, 'dataset', dsKey)));
    expect(names).toEqual(
      ds
        .ids('test')
        .map((id) => `${id}.png`)
        .sort(),
    );
    const preds = await (await Artifact.open(dir)).items('prediction');
    for (const name of names) {
      const png = await readLabelPng(join(pngDir, name), { maxClass: VOC_CLASSES.length - 1 });
      const stored = await preds.read(name.replace('.png', ''));
      expect([png.height, png.width]).toEqual(stored.shape);
      expect(Buffer.from(png.data).equals(Buffer.from(stored.data as Uint8Array))).toBe(true);
    }
    // the archive holds the same files under the same paths
    const tar = (await import('tar-stream')).default;
    const { createGunzip } = await import('node:zlib');
    const { createReadStream } = await import('node:fs');
    const entries: string[] = [];
    const extract = tar.extract();
    extract.on('entry', (header, stream, next) => {
      entries.push(header.name);
      stream.resume();
      stream.on('end', next);
    });
    await new Promise<void>((res, rej) => {
      extract.on('finish', res);
      extract.on('error', rej);
      createReadStream(join(dir, 'results.tar.gz')).pipe(createGunzip()).pipe(extract);
    });
    expect(entries.sort()).toEqual(names.map((n) => `results/VOC2012/Segmentation/comp6_test_cls/${n}`));
  });

  it("predict on val images gives eval's stored predictions pixel for pixel, with eval's CRF settings, scales and checkpoint", async () => {
    // settings off every default, so a predict that ignored one of them would differ; the micro
    // profile's 20 training iterations predict background everywhere, 200 find some objects
    const set = [
      ...['--set', 'train.iterations=200', '--set', 'eval.checkpoint=train', '--set', 'eval.scales=[1,0.5]'],
      ...['--set', 'eval.crfParams={iterations: 4, posSxy: 2, bilSxy: 20, bilSrgb: 8, bilWeight: 5}'],
    ];
    const r = await cli(['run', '--until', 'eval', '--json', ...set]);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const evalOutcome = (JSON.parse(r.stdout) as { outcomes: (Outcome & { key: string })[] }).outcomes.find((o) => o.stage === 'eval')!;
    expect(evalOutcome.status).toBe('run');
    const { Artifact } = await import('../../lib/store/artifact.ts');
    const { Dataset } = await import('../../lib/layouts/dataset.ts');
    const { readLabelPng } = await import('../../lib/data/label-png.ts');
    const { readdirSync } = await import('node:fs');
    const { basename, extname } = await import('node:path');
    const dsKey = readdirSync(join(cache, 'dataset')).find((e) => /^[0-9a-f]{64}$/.test(e))!;
    const ds = await Dataset.open(await Artifact.open(join(cache, 'dataset', dsKey)));
    const ids = ds.ids('val');
    const out = mkdtempSync(join(tmpdir(), 'dcsp-predict-eval-'));
    const p = await cli(['predict', ...ids.map((id) => ds.imagePath(id)), '--out', out, ...set]);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stderr).toMatch(/eval's settings: train checkpoint, CRF, scales 1\/0\.5/);
    const stored = await (await Artifact.open(join(cache, 'eval', evalOutcome.key))).items('prediction');
    let foreground = 0;
    for (const id of ids) {
      const path = ds.imagePath(id);
      const png = await readLabelPng(join(out, `${basename(path, extname(path))}.png`), { maxClass: VOC_CLASSES.length - 1 });
      const want = await stored.read(id);
      expect([png.height, png.width]).toEqual(want.shape);
      expect(Buffer.from(png.data).equals(Buffer.from(want.data as Uint8Array)), id).toBe(true);
      foreground += png.data.filter((v) => v > 0).length;
    }
    // not a vacuous match of two blank maps
    expect(foreground).toBeGreaterThan(0);
  }, 600_000);

  it('predict segments any image into a palette PNG and an overlay', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dcsp-predict-'));
    const photo = VOC_PHOTO_JPG;
    const r = await cli(['predict', photo, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const { readLabelPng } = await import('../../lib/data/label-png.ts');
    const png = await readLabelPng(join(out, '2007_000129.png'), { maxClass: VOC_CLASSES.length - 1 });
    expect([png.width, png.height]).toEqual([334, 500]);
    expect(png.data.every((v) => v <= 20)).toBe(true);
    const { readRgb } = await import('../../lib/data/image-io.ts');
    expect((await readRgb(join(out, '2007_000129_overlay.jpg'))).width).toBe(334);
    const missing = await cli(['predict', join(out, 'nope.jpg')]);
    expect(missing.code).toBe(2);
  });
});
