// `pipeline predict`: the trained network (+ dense CRF) on any images, written as VOC palette PNGs
// and as overlays of the colour labels on the photo.
import { mkdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { crfLabels, argmaxLabels } from '../crf/dense-crf.ts';
import { readRgb, writeJpeg } from '../data/image-io.ts';
import { writePalettePng } from '../data/label-png.ts';
import { colorizeLabels, vocPalette } from '../data/palette.ts';
import { initBackend } from '../tensor/backend.ts';
import { VOC_CLASSES, type Map8, type RgbImage } from '../types.ts';
import { loadModel } from '../model/build.ts';
import { predict } from '../model/inference.ts';

export interface PredictRequest {
  checkpointDir: string;
  images: string[];
  out: string;
  crf: boolean;
  scales: number[];
  log: (line: string) => void;
}

/** Half photo, half label colour where a class was found; the photo alone on background. */
export function overlay(image: RgbImage, labels: Map8): RgbImage {
  const colour = colorizeLabels(labels);
  const data = new Uint8Array(image.data.length);
  for (let i = 0; i < labels.data.length; i++) {
    for (let c = 0; c < 3; c++) {
      const p = image.data[3 * i + c];
      data[3 * i + c] = labels.data[i] === 0 ? p : (p + colour.data[3 * i + c]) >> 1;
    }
  }
  return { width: image.width, height: image.height, data };
}

export async function predictImages(req: PredictRequest): Promise<void> {
  await initBackend({ log: req.log });
  const model = await loadModel(req.checkpointDir);
  await mkdir(req.out, { recursive: true });
  try {
    for (const path of req.images) {
      const image = await readRgb(path);
      const prob = await predict(model, image, req.scales, 'hwc');
      const data = req.crf ? crfLabels(image, prob.data, 21) : argmaxLabels(prob.data, 21);
      const labels: Map8 = { width: image.width, height: image.height, data };
      const stem = basename(path, extname(path));
      await writePalettePng(join(req.out, `${stem}.png`), labels, vocPalette());
      await writeJpeg(join(req.out, `${stem}_overlay.jpg`), overlay(image, labels));
      const found = [...new Set(data)].filter((c) => c > 0).sort((a, b) => a - b).map((c) => VOC_CLASSES[c]);
      req.log(`${path}: ${found.length ? found.join(', ') : 'background only'} -> ${join(req.out, `${stem}.png`)}`);
    }
  } finally {
    model.dispose();
  }
}
