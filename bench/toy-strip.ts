// The README picture of the toy set (docs/img/toy-strip.png): toy images next to their colourised
// label maps. Run: node --import tsx bench/toy-strip.ts [out.png] [count]

import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import sharp from 'sharp';
import type { RgbImage } from '../lib/types.ts';
import { colorizeLabels } from '../lib/data/palette.ts';
import { renderToySample, resolveToyOptions, type SplitName } from '../lib/data/toy-generate.ts';

/** Paste images into a grid of `cols` columns with `gap` white pixels; cells sized to the largest. */
function composeGrid(images: RgbImage[], cols: number, gap = 4): RgbImage {
  const cw = Math.max(...images.map((i) => i.width));
  const ch = Math.max(...images.map((i) => i.height));
  const rows = Math.ceil(images.length / cols);
  const W = cols * cw + (cols + 1) * gap;
  const H = rows * ch + (rows + 1) * gap;
  const data = new Uint8Array(W * H * 3).fill(255);
  images.forEach((img, k) => {
    const ox = gap + (k % cols) * (cw + gap);
    const oy = gap + Math.floor(k / cols) * (ch + gap);
    for (let y = 0; y < img.height; y++) {
      data.set(img.data.subarray(y * img.width * 3, (y + 1) * img.width * 3), ((oy + y) * W + ox) * 3);
    }
  });
  return { width: W, height: H, data };
}

/** image | label map pairs for the first `count` images of a split, `pairsPerRow` pairs per row */
function toyStrip(count: number, pairsPerRow: number, split: SplitName = 'val', seed = 1): RgbImage {
  const opts = resolveToyOptions({ seed });
  const cells: RgbImage[] = [];
  for (let i = 0; i < count; i++) {
    const s = renderToySample(opts, split, i);
    cells.push(s.rgb, colorizeLabels(s.label));
  }
  return composeGrid(cells, pairsPerRow * 2);
}

const out = resolve(process.argv[2] ?? 'docs/img/toy-strip.png');
const count = Number(process.argv[3] ?? 8);
const grid = toyStrip(count, 4);
await mkdir(dirname(out), { recursive: true });
await sharp(grid.data, { raw: { width: grid.width, height: grid.height, channels: 3 } })
  // palette quantisation keeps the README picture small; the masks use few colours anyway
  .png({ compressionLevel: 9, palette: true, colours: 256, dither: 0.6, effort: 10 })
  .toFile(out);
console.log(`wrote ${out} (${grid.width}x${grid.height})`);
