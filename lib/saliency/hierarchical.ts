// Hierarchical saliency (DCSP section 4.2): detect, erase what is salient, detect again, keep the max.
//   S1 = D(I);  M1 = [S1 >= t1];  S2e = D(erase(I, M1));  S2 = max(S1, S2e)
//   M2 = M1 | [S2e >= t2];  S3e = D(erase(I, M2));  S3 = max(S2, S3e)
// Erasures accumulate: pass k erases the union of all earlier masks, and each new mask comes from the
// previous pass's own (raw) map, not the combined one. Erasing the original image with the cumulative
// mask equals erasing the previous erased image with the new mask (the fill is constant), so each
// stage needs only the original image, the cumulative mask, and the previous raw and combined maps.
//
// The stages store maps as uint8; `quantize` (default on) rounds every pass's map through uint8
// before it is thresholded or combined, so the in-memory path gives the same bytes as the staged one.

import type { Map8, MapF32, RgbImage } from '../types.ts';
import type { SaliencyDetector } from './spec.ts';

export type EraseCompare = '>=' | '>';

/** DeepLab's RGB mean (the value DCSP's code fills erased pixels with), rounded for 8-bit images. */
export const DEEPLAB_MEAN_RGB: readonly [number, number, number] = [123, 117, 104];

/** Map in [0,1] -> uint8: round(255 * clamp(v)), halves rounded up; NaN -> 0. */
export function toUint8(map: MapF32): Map8 {
  const data = new Uint8Array(map.data.length);
  for (let i = 0; i < data.length; i++) {
    const v = map.data[i];
    data[i] = v > 0 ? (v < 1 ? Math.floor(v * 255 + 0.5) : 255) : 0;
  }
  return { width: map.width, height: map.height, data };
}

/** uint8 -> map in [0,1]: q / 255 (exact inverse of toUint8 on its outputs). */
export function fromUint8(map: Map8): MapF32 {
  const data = new Float32Array(map.data.length);
  for (let i = 0; i < data.length; i++) data[i] = map.data[i] / 255;
  return { width: map.width, height: map.height, data };
}

/** Round a map through uint8 (the precision stages store). */
export function quantizeMap(map: MapF32): MapF32 {
  return fromUint8(toUint8(map));
}

function sameSize(a: { width: number; height: number }, b: { width: number; height: number }, what: string): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new Error(`${what}: size mismatch ${a.width}x${a.height} vs ${b.width}x${b.height}`);
  }
}

/** 1 where the map passes the erase test (`>=` as DCSP's code, `>` as the paper), else 0. */
export function eraseMask(map: MapF32, threshold: number, compare: EraseCompare = '>='): Map8 {
  const data = new Uint8Array(map.data.length);
  const m = map.data;
  // compare at the maps' own (float32) precision, so a value stored as 0.7 counts as "at" 0.7
  const t = Math.fround(threshold);
  if (compare === '>=') for (let i = 0; i < data.length; i++) data[i] = m[i] >= t ? 1 : 0;
  else for (let i = 0; i < data.length; i++) data[i] = m[i] > t ? 1 : 0;
  return { width: map.width, height: map.height, data };
}

/** Union of two 0/1 masks; `prev` may be null (no earlier erasure). */
export function unionMask(prev: Map8 | null, next: Map8): Map8 {
  if (!prev) return { width: next.width, height: next.height, data: next.data.slice() };
  sameSize(prev, next, 'unionMask');
  const data = new Uint8Array(next.data.length);
  for (let i = 0; i < data.length; i++) data[i] = prev.data[i] || next.data[i] ? 1 : 0;
  return { width: next.width, height: next.height, data };
}

/** Copy of `img` with every pixel where mask = 1 set to `fill` (RGB, rounded to 0..255). */
export function eraseImage(img: RgbImage, mask: Map8, fill: readonly [number, number, number]): RgbImage {
  sameSize(img, mask, 'eraseImage');
  const data = img.data.slice();
  const r = Math.max(0, Math.min(255, Math.round(fill[0])));
  const g = Math.max(0, Math.min(255, Math.round(fill[1])));
  const b = Math.max(0, Math.min(255, Math.round(fill[2])));
  for (let i = 0; i < mask.data.length; i++) {
    if (!mask.data[i]) continue;
    data[3 * i] = r;
    data[3 * i + 1] = g;
    data[3 * i + 2] = b;
  }
  return { width: img.width, height: img.height, data };
}

/** Element-wise max: S_k = max(S_{k-1}, S_ke). */
export function maxCombine(a: MapF32, b: MapF32): MapF32 {
  sameSize(a, b, 'maxCombine');
  const data = new Float32Array(a.data.length);
  for (let i = 0; i < data.length; i++) data[i] = a.data[i] > b.data[i] ? a.data[i] : b.data[i];
  return { width: a.width, height: a.height, data };
}

export interface PassOptions {
  /** '>=' (DCSP code, default) or '>' (paper) */
  compare?: EraseCompare;
  /** erase colour, RGB 0..255; default DeepLab's mean (pass the dataset mean when known) */
  fill?: readonly [number, number, number];
  /** round maps through uint8 as the stages store them (default true) */
  quantize?: boolean;
}

/** Result of one detection pass. */
export interface PassResult {
  /** this pass's own map (S1, S2e, S3e): the next pass thresholds it */
  raw: MapF32;
  /** combined map S_k = max(S_{k-1}, raw) (for pass 1, S1 itself) */
  combined: MapF32;
  /** cumulative erase mask used for this pass (all zeros for pass 1) */
  mask: Map8;
  /** the image the detector saw */
  image: RgbImage;
}

/** Pass 1 (stage saliency-s1): S1 = D(I). */
export async function firstPass(detector: SaliencyDetector, img: RgbImage, opts: PassOptions = {}): Promise<PassResult> {
  let s1 = await detector.detect(img);
  sameSize(img, s1, `${detector.name} output`);
  if (opts.quantize !== false) s1 = quantizeMap(s1);
  return { raw: s1, combined: s1, mask: { width: img.width, height: img.height, data: new Uint8Array(img.width * img.height) }, image: img };
}

export interface ErasePassInput {
  /** the original image */
  image: RgbImage;
  /** previous pass's raw map (S1 for pass 2, S2e for pass 3) */
  prevRaw: MapF32;
  /** previous combined map S_{k-1} */
  prevCombined: MapF32;
  /** cumulative mask of earlier erasures (null or all zeros before the first erasure) */
  prevMask: Map8 | null;
  /** erase threshold for this step (erase-s2's for pass 2, erase-s3's for pass 3) */
  threshold: number;
}

/** Pass k >= 2 (stages erase-s2, erase-s3): erase, detect again, combine by max. */
export async function erasePass(detector: SaliencyDetector, input: ErasePassInput, opts: PassOptions = {}): Promise<PassResult> {
  const { image, prevRaw, prevCombined, prevMask, threshold } = input;
  sameSize(image, prevRaw, 'erasePass prevRaw');
  sameSize(image, prevCombined, 'erasePass prevCombined');
  const mask = unionMask(prevMask, eraseMask(prevRaw, threshold, opts.compare ?? '>='));
  const erased = eraseImage(image, mask, opts.fill ?? DEEPLAB_MEAN_RGB);
  let raw = await detector.detect(erased);
  sameSize(image, raw, `${detector.name} output`);
  if (opts.quantize !== false) raw = quantizeMap(raw);
  return { raw, combined: maxCombine(prevCombined, raw), mask, image: erased };
}

export interface HierarchicalOptions extends PassOptions {
  /** one erase threshold per extra pass: erase-s2's then erase-s3's for S3 (their declarations hold DCSP's values) */
  thresholds: readonly number[];
  /** keep the erased images in the result (for pictures) */
  keepImages?: boolean;
}

export interface HierarchicalResult {
  /** combined maps S1, S2, ... S_{n+1} */
  s: MapF32[];
  /** each pass's own map S1, S2e, S3e, ... */
  raw: MapF32[];
  /** cumulative erase masks used for passes 2.. (M1, M2, ...) */
  erased: Map8[];
  /** images the detector saw in passes 2.. (when keepImages) */
  images?: RgbImage[];
}

/** All passes in one call: the same computation the three stages do one pass at a time. */
export async function hierarchicalSaliency(detector: SaliencyDetector, img: RgbImage, opts: HierarchicalOptions): Promise<HierarchicalResult> {
  const { thresholds } = opts;
  let pass = await firstPass(detector, img, opts);
  const out: HierarchicalResult = { s: [pass.combined], raw: [pass.raw], erased: [] };
  if (opts.keepImages) out.images = [];
  let mask: Map8 | null = null;
  for (const threshold of thresholds) {
    pass = await erasePass(detector, { image: img, prevRaw: pass.raw, prevCombined: pass.combined, prevMask: mask, threshold }, opts);
    mask = pass.mask;
    out.s.push(pass.combined);
    out.raw.push(pass.raw);
    out.erased.push(pass.mask);
    out.images?.push(pass.image);
  }
  return out;
}
