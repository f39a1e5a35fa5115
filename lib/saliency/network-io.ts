// Image -> network input tensor, and network output -> saliency map at image size. Shared by the ONNX
// and tfjs detectors so both honour a Preprocess definition the same way.

import type { MapF32, RgbImage } from '../types.ts';
import { resizeMap, resizeRgbToFloat } from './resample.ts';
import type { Preprocess } from './spec.ts';

export interface ResolvedPreprocess {
  inputSize: [number, number];
  scale: 'unit' | 'max' | 'raw';
  mean: [number, number, number];
  std: [number, number, number];
  channelOrder: 'rgb' | 'bgr';
  layout: 'nchw' | 'nhwc';
  output: number | string;
  normalize: 'minmax' | 'sigmoid' | 'clamp';
  upsample: 'cubic' | 'triangle';
}

export function resolvePreprocess(p: Preprocess, defaults: Partial<ResolvedPreprocess> = {}): ResolvedPreprocess {
  return {
    inputSize: p.inputSize ?? defaults.inputSize ?? [320, 320],
    scale: p.scale ?? defaults.scale ?? 'unit',
    mean: p.mean ?? defaults.mean ?? [0, 0, 0],
    std: p.std ?? defaults.std ?? [1, 1, 1],
    channelOrder: p.channelOrder ?? defaults.channelOrder ?? 'rgb',
    layout: p.layout ?? defaults.layout ?? 'nchw',
    output: p.output ?? defaults.output ?? 0,
    normalize: p.normalize ?? defaults.normalize ?? 'clamp',
    upsample: p.upsample ?? defaults.upsample ?? 'cubic',
  };
}

/** Build the [1,3,H,W] or [1,H,W,3] float input for one image. */
export function imageToInput(img: RgbImage, pre: ResolvedPreprocess): { data: Float32Array; dims: number[] } {
  const [w, h] = pre.inputSize;
  const rgb = resizeRgbToFloat(img, w, h, 'triangle');
  let div = 1;
  if (pre.scale === 'unit') div = 255;
  else if (pre.scale === 'max') {
    let m = 0;
    for (let i = 0; i < img.data.length; i++) if (img.data[i] > m) m = img.data[i];
    div = m > 0 ? m : 1;
  }
  const n = w * h;
  const data = new Float32Array(n * 3);
  const order = pre.channelOrder === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  for (let c = 0; c < 3; c++) {
    const src = order[c];
    const mean = pre.mean[c];
    const std = pre.std[c];
    if (pre.layout === 'nchw') {
      const base = c * n;
      for (let i = 0; i < n; i++) data[base + i] = (rgb[i * 3 + src] / div - mean) / std;
    } else {
      for (let i = 0; i < n; i++) data[i * 3 + c] = (rgb[i * 3 + src] / div - mean) / std;
    }
  }
  return { data, dims: pre.layout === 'nchw' ? [1, 3, h, w] : [1, h, w, 3] };
}

/**
 * Turn a network output into a [0,1] map at the image's size. Accepts [H,W], [1,H,W], and 4-D
 * outputs in the input's layout ([1,C,H,W] or [1,H,W,C]); of several channels the first is used.
 */
export function outputToMap(out: ArrayLike<number>, dims: readonly number[], pre: ResolvedPreprocess, width: number, height: number): MapF32 {
  const d = dims.map(Number);
  let h: number;
  let w: number;
  let stride = 1; // distance between consecutive pixels of channel 0
  if (d.length === 2) [h, w] = d;
  else if (d.length === 3) [, h, w] = d;
  else if (d.length === 4) {
    // the output follows the input's layout: [1, C, H, W] or [1, H, W, C]
    if (pre.layout === 'nchw') [, , h, w] = d;
    else {
      [, h, w] = d;
      stride = d[3];
    }
  } else throw new Error(`saliency output has unsupported shape [${d.join(', ')}]`);
  const n = h * w;
  const map = new Float32Array(n);
  for (let i = 0; i < n; i++) map[i] = Number(out[i * stride]);
  if (pre.normalize === 'sigmoid') for (let i = 0; i < n; i++) map[i] = 1 / (1 + Math.exp(-map[i]));
  if (pre.normalize === 'minmax') {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      if (map[i] < lo) lo = map[i];
      if (map[i] > hi) hi = map[i];
    }
    const r = hi - lo;
    for (let i = 0; i < n; i++) map[i] = r > 0 ? (map[i] - lo) / r : 0;
  }
  for (let i = 0; i < n; i++) {
    const v = map[i];
    map[i] = v > 0 ? (v < 1 ? v : 1) : 0; // also maps NaN to 0
  }
  return resizeMap({ width: w, height: h, data: map }, width, height, pre.upsample);
}
