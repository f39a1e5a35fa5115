// Hierarchical saliency on one photo, as a picture: the photo, S1, S2, S3 (top) and the ground-truth
// foreground, the two erased images the detector saw, and the cumulative erase mask (bottom).
// Prints the saliency quality of S1..S3 against the label map when one is given.
//
//   node --import tsx lib/saliency/demo.ts [image.jpg] [labels.png] [out.png] [detector-spec-json]
//
// Defaults: the VOC photo in shared/testdata, docs/img/saliency-<id>.png, the built-in detector.

import { basename, dirname, extname, resolve } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { foregroundFromLabels, SaliencyQuality } from '../metrics/saliency.ts';
import type { Map8, MapF32, RgbImage } from '../types.ts';
import { createDetector, hierarchicalSaliency } from './index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const defaultImage = resolve(repo, '..', 'shared', 'testdata', 'voc-2007_000129', '2007_000129.jpg');

async function readRgb(path: string): Promise<RgbImage> {
  const { data, info } = await sharp(path).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** Label PNGs hold class ids; sharp expands palette PNGs to RGB, so only grayscale ones are read here. */
async function readLabels(path: string): Promise<Map8> {
  const meta = await sharp(path).metadata();
  if (meta.isPalette || meta.channels !== 1) throw new Error(`${path}: expected a single-channel (grayscale) label PNG`);
  const { data, info } = await sharp(path).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
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

async function main(): Promise<void> {
  const [imgArg, labelArg, outArg, specArg] = process.argv.slice(2);
  const imagePath = resolve(imgArg ?? defaultImage);
  const id = basename(imagePath, extname(imagePath));
  const labelPath = labelArg ? resolve(labelArg) : imgArg ? undefined : imagePath.replace(/\.jpg$/, '.png');
  const outPath = resolve(outArg ?? resolve(repo, 'docs', 'img', `saliency-${id}.png`));
  const spec = specArg ? (JSON.parse(specArg) as unknown) : { kind: 'boundary' };

  const img = await readRgb(imagePath);
  const labels = labelPath ? await readLabels(labelPath) : undefined;
  const detector = await createDetector(spec);
  const t0 = performance.now();
  const r = await hierarchicalSaliency(detector, img, { keepImages: true });
  const ms = performance.now() - t0;
  await detector.dispose();

  if (labels) {
    const fg = foregroundFromLabels(labels);
    r.s.forEach((s, k) => {
      const q = new SaliencyQuality();
      q.add(s, fg, labels);
      const m = q.summary();
      console.log(`S${k + 1}: MAE ${m.mae.toFixed(3)}  maxF ${m.maxF.toFixed(3)}  objects found ${m.found}/${m.objects}`);
    });
  }
  console.log(`${detector.name}: 3 passes on ${img.width}x${img.height} in ${ms.toFixed(0)} ms`);

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
      const buf = await sharp(Buffer.from(data), { raw: { width: w, height: h, channels: 3 } }).resize(pw, ph).png().toBuffer();
      tiles.push({ input: buf, left: col * (pw + gap), top: row * (ph + gap) });
    }
  }
  await mkdir(dirname(outPath), { recursive: true });
  await sharp({ create: { width: cols * (pw + gap) - gap, height: 2 * ph + gap, channels: 3, background: { r: 255, g: 255, b: 255 } } })
    .composite(tiles)
    .png({ palette: true, colours: 256, compressionLevel: 9 })
    .toFile(outPath);
  console.log(`wrote ${outPath}`);
  console.log('top: image, S1, S2, S3; bottom: GT foreground, erased image for pass 2, for pass 3, cumulative erase mask');
}

await main();
