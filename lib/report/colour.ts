// Colour maps for continuous [0, 1] maps (saliency, attention). Viridis: perceptually uniform and
// readable in greyscale print, so S1 / S2 / S3 and A can be compared tile against tile. The anchor
// colours are the published viridis values at 0, 1/8, ..., 1; between them we interpolate linearly.
import type { RgbImage } from '../types.ts';

const VIRIDIS_ANCHORS: readonly (readonly [number, number, number])[] = [
  [68, 1, 84],
  [71, 45, 123],
  [59, 82, 139],
  [44, 114, 142],
  [33, 145, 140],
  [40, 174, 128],
  [94, 201, 98],
  [173, 220, 48],
  [253, 231, 37],
];

let lut: Uint8Array | null = null;

/** 256 x RGB lookup table of viridis. */
export function viridisLut(): Uint8Array {
  if (lut) return lut;
  const out = new Uint8Array(256 * 3);
  const last = VIRIDIS_ANCHORS.length - 1;
  for (let v = 0; v < 256; v++) {
    const t = (v / 255) * last;
    const i = Math.min(Math.floor(t), last - 1);
    const f = t - i;
    for (let ch = 0; ch < 3; ch++) out[v * 3 + ch] = Math.round(VIRIDIS_ANCHORS[i][ch] * (1 - f) + VIRIDIS_ANCHORS[i + 1][ch] * f);
  }
  lut = out;
  return out;
}

/** A [0, 1] map stored as uint8 (0..255) or float32 (0..1) through viridis. */
export function heatmap(data: Uint8Array | Float32Array, width: number, height: number): RgbImage {
  if (data.length !== width * height) throw new Error(`heatmap: ${data.length} values for ${width}x${height}`);
  const table = viridisLut();
  const out = new Uint8Array(width * height * 3);
  const isFloat = data instanceof Float32Array;
  for (let i = 0; i < data.length; i++) {
    const raw = isFloat ? Math.round(data[i] * 255) : data[i];
    const v = raw < 0 ? 0 : raw > 255 ? 255 : raw;
    out[i * 3] = table[v * 3];
    out[i * 3 + 1] = table[v * 3 + 1];
    out[i * 3 + 2] = table[v * 3 + 2];
  }
  return { width, height, data: out };
}

/** CSS linear-gradient of the colour map, for the colour bar next to the panels. */
export function viridisGradientCss(): string {
  const stops = VIRIDIS_ANCHORS.map((c, i) => `rgb(${c[0]},${c[1]},${c[2]}) ${((i / (VIRIDIS_ANCHORS.length - 1)) * 100).toFixed(1)}%`);
  return `linear-gradient(to right, ${stops.join(', ')})`;
}
