// Hierarchical saliency on one photo, as a picture: the photo, S1, S2, S3 (top) and the ground-truth
// foreground, the two erased images the detector saw, and the cumulative erase mask (bottom); with
// the quality of S1..S3 against the label map when one is given. Behind `pipeline saliency`.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import sharp from 'sharp';
import { readRgb } from '../data/image-io.ts';
import { readLabelPng } from '../data/label-png.ts';
import { foregroundFromLabels, foregroundIoU, SaliencyQuality } from '../metrics/saliency.ts';
import { type Map8, type MapF32, VOID_LABEL } from '../types.ts';
import { acquireLock } from '../exec/lock.ts';
import type { HierarchicalOptions } from '../saliency/hierarchical.ts';
import { createDetector, hierarchicalSaliency } from '../saliency/index.ts';

export interface PanelRequest {
  image: string;
  /** label PNG (palette or grayscale ids) for the ground-truth panel and the quality figures */
  labels?: string;
  out: string;
  /** detector spec (lib/saliency/spec.ts); default the built-in boundary detector */
  spec?: unknown;
  /** erase-s2's and erase-s3's thresholds and comparison, as the pipeline resolves them */
  erase: Pick<HierarchicalOptions, 'thresholds' | 'compare'>;
  /** where downloaded models are cached (isnet, named onnx models) */
  modelDir?: string;
}

function grayPanel(map: MapF32 | Map8, scale: number): Uint8Array {
  const out = new Uint8Array(map.width * map.height * 3);
  for (let i = 0; i < map.data.length; i++) {
    const v = map.data[i];
    const g = map.data instanceof Float32Array ? Math.round(v * 255) : v === 255 ? 128 : v * scale;
    out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = g;
  }
  return out;
}

/** Writes the panel picture; returns the lines to print (quality per pass, timing). */
export async function saliencyPanel(req: PanelRequest): Promise<string[]> {
  const lines: string[] = [];
  const outPath = req.out;
  const img = await readRgb(req.image);
  // only object vs background is read from it, so any class id is accepted
  const labels = req.labels ? await readLabelPng(req.labels, { maxClass: VOID_LABEL - 1 }) : undefined;
  const detector = await createDetector(req.spec ?? { kind: 'boundary' }, { lock: acquireLock, ...(req.modelDir ? { modelDir: req.modelDir } : {}) });
  const t0 = performance.now();
  const r = await hierarchicalSaliency(detector, img, { keepImages: true, ...req.erase });
  const ms = performance.now() - t0;
  await detector.dispose();

  if (labels) {
    const fg = foregroundFromLabels(labels);
    r.s.forEach((s, k) => {
      const q = new SaliencyQuality();
      q.add(s, fg, labels);
      const m = q.summary();
      lines.push(
        `S${k + 1}: MAE ${m.mae.toFixed(3)}  maxF ${m.maxF.toFixed(3)}  objects found ${m.found}/${m.objects}  foreground IoU@0.5 ${foregroundIoU(s, fg).toFixed(3)}`,
      );
    });
  }
  const erase = `erasing at ${req.erase.compare ?? '>='} ${req.erase.thresholds.join(', ')}`;
  lines.push(`${detector.name}: ${r.s.length} passes (${erase}) on ${img.width}x${img.height} in ${ms.toFixed(0)} ms`);

  const { width: w, height: h } = img;
  const blank = new Uint8Array(w * h * 3).fill(255);
  const top = [img.data, ...r.s.map((s) => grayPanel(s, 1))];
  const bottom = [
    labels ? grayPanel(foregroundFromLabels(labels), 255) : blank,
    ...(r.images ?? []).map((im) => im.data),
    grayPanel(r.erased[r.erased.length - 1], 255),
  ];
  const cols = Math.max(top.length, bottom.length);
  const pw = Math.round(w / 2);
  const ph = Math.round(h / 2);
  const gap = 4;
  const tiles: sharp.OverlayOptions[] = [];
  for (const [row, panels] of [top, bottom].entries()) {
    for (const [col, data] of panels.entries()) {
      const buf = await sharp(Buffer.from(data), { raw: { width: w, height: h, channels: 3 } })
        .resize(pw, ph)
        .png()
        .toBuffer();
      tiles.push({ input: buf, left: col * (pw + gap), top: row * (ph + gap) });
    }
  }
  await mkdir(dirname(outPath), { recursive: true });
  await sharp({ create: { width: cols * (pw + gap) - gap, height: 2 * ph + gap, channels: 3, background: { r: 255, g: 255, b: 255 } } })
    .composite(tiles)
    .png({ palette: true, colours: 256, compressionLevel: 9 })
    .toFile(outPath);
  lines.push(`wrote ${outPath}`, 'top: image, S1, S2, S3; bottom: GT foreground, erased image for pass 2, for pass 3, cumulative erase mask');
  return lines;
}
