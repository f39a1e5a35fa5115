// Pixel confusion matrix for semantic segmentation, accumulated over images, and the scores the
// VOC benchmark reports from it. Rows are ground truth, columns predictions; pixels whose ground
// truth is the ignore label (255, void) are skipped.
//
// Classes that never occur, neither in the ground truth nor in the predictions of the whole set,
// have IoU 0/0: they are reported as NaN and left out of the mean (VOC's devkit averages over the
// classes with a non-zero union). A class present in the ground truth but never predicted, or
// predicted but absent from the ground truth, has IoU 0 and counts.

import { VOID_LABEL } from '../types.ts';

export interface SegmentationScores {
  /** number of classes L */
  classes: number;
  /** pixels counted (ground truth not void) */
  pixels: number;
  /** per-class IoU = TP / (TP + FP + FN); NaN where the union is empty */
  iou: number[];
  /** mean of the non-NaN IoUs (NaN when no pixel was counted) */
  meanIoU: number;
  /** number of classes that entered meanIoU */
  classesInMean: number;
  /** correctly labelled / counted pixels */
  pixelAccuracy: number;
  /** per-class recall TP / (TP + FN); NaN for classes absent from the ground truth */
  classAccuracy: number[];
  /** mean of the non-NaN class accuracies */
  meanClassAccuracy: number;
}

export class ConfusionMatrix {
  readonly classes: number;
  readonly ignoreLabel: number;
  /** counts[gt * classes + pred]; float64 so that thousands of images cannot overflow */
  readonly counts: Float64Array;

  constructor(classes: number, ignoreLabel: number = VOID_LABEL) {
    if (!Number.isInteger(classes) || classes < 1 || classes > 256) {
      throw new Error(`ConfusionMatrix: class count must be an integer in 1..256, got ${classes}`);
    }
    if (ignoreLabel < classes) throw new Error(`ConfusionMatrix: ignore label ${ignoreLabel} collides with class ids 0..${classes - 1}`);
    this.classes = classes;
    this.ignoreLabel = ignoreLabel;
    this.counts = new Float64Array(classes * classes);
  }

  /**
   * Adds one image. Ground-truth labels must be in 0..L-1 or the ignore label; predictions in
   * 0..L-1 (a prediction is never void). Anything else throws, naming the value and the pixel.
   * The image is checked before anything is counted, so a bad image leaves the matrix unchanged.
   */
  add(pred: Uint8Array, gt: Uint8Array, name?: string): this {
    const where = name ? ` in ${name}` : '';
    if (pred.length !== gt.length) {
      throw new Error(`ConfusionMatrix.add${where}: prediction has ${pred.length} pixels, ground truth ${gt.length}`);
    }
    const L = this.classes;
    const ignore = this.ignoreLabel;
    for (let i = 0; i < gt.length; i++) {
      const g = gt[i];
      if (g >= L && g !== ignore) {
        throw new Error(`ConfusionMatrix.add${where}: ground-truth label ${g} at pixel ${i} is outside 0..${L - 1} and not the ignore label ${ignore}`);
      }
      if (pred[i] >= L) throw new Error(`ConfusionMatrix.add${where}: predicted label ${pred[i]} at pixel ${i} is outside 0..${L - 1}`);
    }
    const c = this.counts;
    for (let i = 0; i < gt.length; i++) {
      const g = gt[i];
      if (g !== ignore) c[g * L + pred[i]]++;
    }
    return this;
  }

  /** Adds another matrix's counts (e.g. from a worker). */
  merge(other: ConfusionMatrix): this {
    if (other.classes !== this.classes) throw new Error(`ConfusionMatrix.merge: ${other.classes} classes vs ${this.classes}`);
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += other.counts[i];
    return this;
  }

  /** Plain data for JSON or structured clone: { classes, ignoreLabel, counts: number[][] } (rows = gt). */
  toJSON(): { classes: number; ignoreLabel: number; counts: number[][] } {
    const L = this.classes;
    const rows = Array.from({ length: L }, (_, g) => Array.from(this.counts.subarray(g * L, g * L + L)));
    return { classes: L, ignoreLabel: this.ignoreLabel, counts: rows };
  }

  static fromJSON(j: { classes: number; ignoreLabel: number; counts: number[][] }): ConfusionMatrix {
    const m = new ConfusionMatrix(j.classes, j.ignoreLabel);
    if (j.counts.length !== j.classes || j.counts.some((r) => r.length !== j.classes)) {
      throw new Error(`ConfusionMatrix.fromJSON: counts must be ${j.classes}x${j.classes}`);
    }
    j.counts.forEach((row, g) => {
      row.forEach((v, p) => {
        m.counts[g * j.classes + p] = v;
      });
    });
    return m;
  }

  scores(): SegmentationScores {
    const L = this.classes;
    const c = this.counts;
    const gtTotal = new Float64Array(L);
    const predTotal = new Float64Array(L);
    let pixels = 0;
    let correct = 0;
    for (let g = 0; g < L; g++) {
      for (let p = 0; p < L; p++) {
        const v = c[g * L + p];
        gtTotal[g] += v;
        predTotal[p] += v;
        pixels += v;
      }
      correct += c[g * L + g];
    }
    const iou: number[] = [];
    const classAccuracy: number[] = [];
    for (let k = 0; k < L; k++) {
      const tp = c[k * L + k];
      const union = gtTotal[k] + predTotal[k] - tp;
      iou.push(union > 0 ? tp / union : NaN);
      classAccuracy.push(gtTotal[k] > 0 ? tp / gtTotal[k] : NaN);
    }
    const inMean = iou.filter((v) => !Number.isNaN(v));
    return {
      classes: L,
      pixels,
      iou,
      meanIoU: meanOf(inMean),
      classesInMean: inMean.length,
      pixelAccuracy: pixels > 0 ? correct / pixels : NaN,
      classAccuracy,
      meanClassAccuracy: meanOf(classAccuracy.filter((v) => !Number.isNaN(v))),
    };
  }
}

function meanOf(xs: number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/**
 * Text table: one row per class (IoU and accuracy in percent, "-" for an absent class), then the
 * means and pixel accuracy.
 */
export function formatScoresTable(scores: SegmentationScores, classNames: readonly string[]): string {
  const names = Array.from({ length: scores.classes }, (_, k) => classNames[k] ?? `class ${k}`);
  const w = Math.max(14, ...names.map((s) => s.length));
  const pct = (v: number) => (Number.isNaN(v) ? '-' : (100 * v).toFixed(2));
  const line = (a: string, b: string, c: string) => `${a.padEnd(w)}  ${b.padStart(7)}  ${c.padStart(7)}`;
  const out = [line('class', 'IoU', 'acc'), '-'.repeat(w + 18)];
  names.forEach((name, k) => {
    out.push(line(name, pct(scores.iou[k]), pct(scores.classAccuracy[k])));
  });
  out.push('-'.repeat(w + 18));
  out.push(line(`mean (${scores.classesInMean} cls)`, pct(scores.meanIoU), pct(scores.meanClassAccuracy)));
  out.push(line('pixel acc', '', pct(scores.pixelAccuracy)));
  out.push(`${scores.pixels} pixels counted`);
  return out.join('\n');
}
