// Saliency quality against class-agnostic ground truth: MAE, max F-measure (beta^2 = 0.3) over 256
// thresholds, and object recall (share of GT objects that the map covers). The accumulator's state is
// plain JSON and mergeable, so per-item workers can each fill one and the stage merges them.

import type { Map8, MapF32 } from '../types.ts';
import { VOID_LABEL } from '../types.ts';

export const F_BETA2 = 0.3;
export const THRESHOLDS = 256;

function checkSize(a: { width: number; height: number }, b: { width: number; height: number }, what: string): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new Error(`${what}: size mismatch ${a.width}x${a.height} vs ${b.width}x${b.height}`);
  }
}

/** Quantise a [0,1] value the way stored maps are (round to nearest of 0..255). */
function level(v: number): number {
  const q = Math.round(v * 255);
  return Math.min(255, Math.max(0, q));
}

/** Class-agnostic foreground mask from a class label map: any class id -> 1, 0 -> 0, 255 stays 255. */
export function foregroundFromLabels(labels: Map8): Map8 {
  const data = new Uint8Array(labels.data.length);
  for (let i = 0; i < data.length; i++) {
    const v = labels.data[i];
    data[i] = v === VOID_LABEL ? VOID_LABEL : v === 0 ? 0 : 1;
  }
  return { width: labels.width, height: labels.height, data };
}

/** Mean absolute error over non-void pixels (gt 1 fg, 0 bg, 255 ignored). NaN if all pixels are void. */
export function saliencyMae(map: MapF32, gt: Map8): number {
  checkSize(map, gt, 'saliencyMae');
  let sum = 0;
  let n = 0;
  for (let i = 0; i < gt.data.length; i++) {
    const g = gt.data[i];
    if (g === VOID_LABEL) continue;
    sum += Math.abs(map.data[i] - (g ? 1 : 0));
    n++;
  }
  return n ? sum / n : NaN;
}

/** Intersection over union of `map >= threshold` with the foreground, over non-void pixels. NaN if both are empty. */
export function foregroundIoU(map: MapF32, gt: Map8, threshold = 0.5): number {
  checkSize(map, gt, 'foregroundIoU');
  let inter = 0;
  let union = 0;
  for (let i = 0; i < gt.data.length; i++) {
    const g = gt.data[i];
    if (g === VOID_LABEL) continue;
    const s = map.data[i] >= threshold;
    if (s && g) inter++;
    if (s || g) union++;
  }
  return union ? inter / union : NaN;
}

/**
 * Per-image counts at each threshold t = 0..255: a pixel is predicted salient when its quantised
 * level (round(255 s)) is >= t. Returns cumulative true/false positives and the fg count.
 */
export function thresholdCounts(map: MapF32, gt: Map8): { tp: Float64Array; fp: Float64Array; fg: number } {
  checkSize(map, gt, 'thresholdCounts');
  const fgHist = new Float64Array(THRESHOLDS);
  const bgHist = new Float64Array(THRESHOLDS);
  let fg = 0;
  for (let i = 0; i < gt.data.length; i++) {
    const g = gt.data[i];
    if (g === VOID_LABEL) continue;
    const q = level(map.data[i]);
    if (g) {
      fgHist[q]++;
      fg++;
    } else bgHist[q]++;
  }
  const tp = new Float64Array(THRESHOLDS);
  const fp = new Float64Array(THRESHOLDS);
  let a = 0;
  let b = 0;
  for (let t = THRESHOLDS - 1; t >= 0; t--) {
    a += fgHist[t];
    b += bgHist[t];
    tp[t] = a;
    fp[t] = b;
  }
  return { tp, fp, fg };
}

export interface LabelledObject {
  classId: number;
  pixels: number;
}

/**
 * GT objects: 4-connected components of each class id 1..254 (0 background and 255 void are not
 * objects). Returns the component id per pixel (-1 outside objects) and each object's class and size.
 */
export function labelObjects(labels: Map8): { ids: Int32Array; objects: LabelledObject[] } {
  const { width, height, data } = labels;
  const n = width * height;
  const ids = new Int32Array(n).fill(-1);
  const objects: LabelledObject[] = [];
  const queue = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    const c = data[s];
    if (c === 0 || c === VOID_LABEL || ids[s] >= 0) continue;
    const id = objects.length;
    let head = 0;
    let tail = 0;
    queue[tail++] = s;
    ids[s] = id;
    while (head < tail) {
      const p = queue[head++];
      const x = p % width;
      if (x > 0 && ids[p - 1] < 0 && data[p - 1] === c) {
        ids[p - 1] = id;
        queue[tail++] = p - 1;
      }
      if (x < width - 1 && ids[p + 1] < 0 && data[p + 1] === c) {
        ids[p + 1] = id;
        queue[tail++] = p + 1;
      }
      if (p >= width && ids[p - width] < 0 && data[p - width] === c) {
        ids[p - width] = id;
        queue[tail++] = p - width;
      }
      if (p < n - width && ids[p + width] < 0 && data[p + width] === c) {
        ids[p + width] = id;
        queue[tail++] = p + width;
      }
    }
    objects.push({ classId: c, pixels: tail });
  }
  return { ids, objects };
}

export interface ObjectRecallOptions {
  /** a pixel counts as covered when its saliency is strictly above this (default 0.5) */
  threshold?: number;
  /** an object is found when at least this share of its pixels is covered (default 0.5) */
  coverage?: number;
  /** objects smaller than this many pixels are not counted (default 1: all) */
  minPixels?: number;
}

/** Per-object coverage for one image: how many GT objects there are and how many the map finds. */
export function objectRecall(map: MapF32, labels: Map8, opts: ObjectRecallOptions = {}): { objects: number; found: number } {
  checkSize(map, labels, 'objectRecall');
  const threshold = opts.threshold ?? 0.5;
  const coverage = opts.coverage ?? 0.5;
  const minPixels = opts.minPixels ?? 1;
  const { ids, objects } = labelObjects(labels);
  const covered = new Float64Array(objects.length);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id >= 0 && map.data[i] > threshold) covered[id]++;
  }
  let counted = 0;
  let found = 0;
  for (let o = 0; o < objects.length; o++) {
    if (objects[o].pixels < minPixels) continue;
    counted++;
    if (covered[o] >= coverage * objects[o].pixels) found++;
  }
  return { objects: counted, found };
}

/** Plain-JSON state of a SaliencyQuality accumulator (for workers; merge with `merge`). */
export interface SaliencyQualityState {
  images: number;
  maeSum: number;
  maeImages: number;
  /** per threshold, sums over images of precision and recall (image-mean mode) */
  precisionSum: number[];
  recallSum: number[];
  /** images that had any foreground (recall defined) */
  recallImages: number;
  /** per threshold, pooled counts over the dataset */
  tp: number[];
  fp: number[];
  fg: number;
  objects: number;
  found: number;
}

export interface SaliencyQualitySummary {
  images: number;
  mae: number;
  /** max over thresholds of F_beta computed from image-averaged precision and recall (the usual SOD protocol) */
  maxF: number;
  /** the threshold (level/255) where maxF is reached */
  maxFThreshold: number;
  /** max F_beta from dataset-pooled pixel counts */
  maxFPooled: number;
  objectRecall: number;
  objects: number;
  found: number;
}

function fBeta(p: number, r: number): number {
  const d = F_BETA2 * p + r;
  return d > 0 ? ((1 + F_BETA2) * p * r) / d : 0;
}

export class SaliencyQuality {
  private s: SaliencyQualityState;

  constructor(
    private readonly recallOpts: ObjectRecallOptions = {},
    state?: SaliencyQualityState,
  ) {
    this.s = state
      ? structuredClone(state)
      : {
          images: 0,
          maeSum: 0,
          maeImages: 0,
          precisionSum: new Array<number>(THRESHOLDS).fill(0),
          recallSum: new Array<number>(THRESHOLDS).fill(0),
          recallImages: 0,
          tp: new Array<number>(THRESHOLDS).fill(0),
          fp: new Array<number>(THRESHOLDS).fill(0),
          fg: 0,
          objects: 0,
          found: 0,
        };
  }

  /**
   * Add one image: `gt` is the class-agnostic mask (1 fg, 0 bg, 255 void); `labels` (optional) the
   * class label map, needed for object recall. If only `labels` is at hand, pass
   * foregroundFromLabels(labels) as gt.
   */
  add(map: MapF32, gt: Map8, labels?: Map8): void {
    const s = this.s;
    s.images++;
    const mae = saliencyMae(map, gt);
    if (!Number.isNaN(mae)) {
      s.maeSum += mae;
      s.maeImages++;
    }
    const { tp, fp, fg } = thresholdCounts(map, gt);
    for (let t = 0; t < THRESHOLDS; t++) {
      const pos = tp[t] + fp[t];
      s.precisionSum[t] += pos > 0 ? tp[t] / pos : 0;
      if (fg > 0) s.recallSum[t] += tp[t] / fg;
      s.tp[t] += tp[t];
      s.fp[t] += fp[t];
    }
    if (fg > 0) s.recallImages++;
    s.fg += fg;
    if (labels) {
      const r = objectRecall(map, labels, this.recallOpts);
      s.objects += r.objects;
      s.found += r.found;
    }
  }

  merge(other: SaliencyQuality | SaliencyQualityState): void {
    const o = other instanceof SaliencyQuality ? other.state() : other;
    const s = this.s;
    s.images += o.images;
    s.maeSum += o.maeSum;
    s.maeImages += o.maeImages;
    for (let t = 0; t < THRESHOLDS; t++) {
      s.precisionSum[t] += o.precisionSum[t];
      s.recallSum[t] += o.recallSum[t];
      s.tp[t] += o.tp[t];
      s.fp[t] += o.fp[t];
    }
    s.recallImages += o.recallImages;
    s.fg += o.fg;
    s.objects += o.objects;
    s.found += o.found;
  }

  state(): SaliencyQualityState {
    return structuredClone(this.s);
  }

  summary(): SaliencyQualitySummary {
    const s = this.s;
    let maxF = 0;
    let maxFThreshold = 0;
    let maxFPooled = 0;
    const nP = Math.max(1, s.images);
    const nR = Math.max(1, s.recallImages);
    for (let t = 0; t < THRESHOLDS; t++) {
      const f = fBeta(s.precisionSum[t] / nP, s.recallSum[t] / nR);
      if (f > maxF) {
        maxF = f;
        maxFThreshold = t / 255;
      }
      const pos = s.tp[t] + s.fp[t];
      const fp = fBeta(pos > 0 ? s.tp[t] / pos : 0, s.fg > 0 ? s.tp[t] / s.fg : 0);
      if (fp > maxFPooled) maxFPooled = fp;
    }
    return {
      images: s.images,
      mae: s.maeImages ? s.maeSum / s.maeImages : NaN,
      maxF,
      maxFThreshold,
      maxFPooled,
      objectRecall: s.objects ? s.found / s.objects : NaN,
      objects: s.objects,
      found: s.found,
    };
  }
}
