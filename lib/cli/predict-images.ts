// `pipeline predict`'s work: the trained network (+ dense CRF) on any images, exactly as the eval
// stage predicts (lib/predict/segment.ts), written as palette PNGs (the dataset's palette) and as
// overlays of the colour labels on the photo.
import { mkdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { readRgb, writeJpeg } from '../data/image-io.ts';
import { writePalettePng } from '../data/label-png.ts';
import { colorizeLabels, type Rgb } from '../data/palette.ts';
import { Dataset } from '../layouts/dataset.ts';
import { loadModel } from '../model/build.ts';
import { segmentImage, type SegmentSettings } from '../predict/segment.ts';
import { Artifact } from '../store/artifact.ts';
import { initBackend } from '../tensor/backend.ts';
import type { Map8, RgbImage } from '../types.ts';

export interface PredictRequest {
  checkpointDir: string;
  /** the dataset artifact the model was trained on: its classes and palette */
  datasetDir: string;
  images: string[];
  out: string;
  settings: SegmentSettings;
  log: (line: string) => void;
}

/** Half photo, half label colour where a class was found; the photo alone on background. */
export function overlay(image: RgbImage, labels: Map8, palette: readonly Rgb[]): RgbImage {
  const colour = colorizeLabels(labels, palette);
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
  const { classNames, palette } = (await Dataset.open(await Artifact.open(req.datasetDir))).index;
  await initBackend({ log: req.log });
  const model = await loadModel(req.checkpointDir);
  await mkdir(req.out, { recursive: true });
  try {
    for (const path of req.images) {
      const image = await readRgb(path);
      const data = await segmentImage(model, image, classNames.length, req.settings);
      const labels: Map8 = { width: image.width, height: image.height, data };
      const stem = basename(path, extname(path));
      await writePalettePng(join(req.out, `${stem}.png`), labels, palette);
      await writeJpeg(join(req.out, `${stem}_overlay.jpg`), overlay(image, labels, palette));
      const found = [...new Set(data)]
        .filter((c) => c > 0)
        .sort((a, b) => a - b)
        .map((c) => classNames[c]);
      req.log(`${path}: ${found.length ? found.join(', ') : 'background only'} -> ${join(req.out, `${stem}.png`)}`);
    }
  } finally {
    model.dispose();
  }
}
