import { describe, expect, it } from 'vitest';
import { ConfusionMatrix, formatScoresTable } from '../../lib/metrics/confusion.ts';
import { VOC_CLASSES } from '../../lib/types.ts';

const u8 = (xs: number[]) => Uint8Array.from(xs);

describe('ConfusionMatrix', () => {
  it('counts gt x pred and skips void pixels', () => {
    const m = new ConfusionMatrix(3);
    // gt:   0 0 1 1 2 255 255
    // pred: 0 1 1 1 0 2   0
    m.add(u8([0, 1, 1, 1, 0, 2, 0]), u8([0, 0, 1, 1, 2, 255, 255]));
    expect(Array.from(m.counts)).toEqual([1, 1, 0, 0, 2, 0, 1, 0, 0]);
    const s = m.scores();
    expect(s.pixels).toBe(5);
    // IoU0 = 1/(2+2-1) = 1/3; IoU1 = 2/(2+3-2) = 2/3; IoU2 = 0/(1+0-0) = 0
    expect(s.iou[0]).toBeCloseTo(1 / 3, 12);
    expect(s.iou[1]).toBeCloseTo(2 / 3, 12);
    expect(s.iou[2]).toBe(0);
    expect(s.meanIoU).toBeCloseTo(1 / 3, 12);
    expect(s.classesInMean).toBe(3);
    expect(s.pixelAccuracy).toBeCloseTo(3 / 5, 12);
    expect(s.classAccuracy).toEqual([0.5, 1, 0]);
    expect(s.meanClassAccuracy).toBeCloseTo(0.5, 12);
  });

  it('accumulates across images and merges like one big image', () => {
    const a = new ConfusionMatrix(4).add(u8([0, 1, 2]), u8([0, 1, 1])).add(u8([3, 3]), u8([3, 2]));
    const b = new ConfusionMatrix(4).add(u8([0, 1, 2, 3, 3]), u8([0, 1, 1, 3, 2]));
    expect(Array.from(a.counts)).toEqual(Array.from(b.counts));
    const c = new ConfusionMatrix(4).add(u8([0, 1, 2]), u8([0, 1, 1]));
    c.merge(new ConfusionMatrix(4).add(u8([3, 3]), u8([3, 2])));
    expect(Array.from(c.counts)).toEqual(Array.from(b.counts));
    expect(ConfusionMatrix.fromJSON(JSON.parse(JSON.stringify(c))).scores()).toEqual(c.scores());
  });

  it('leaves classes absent from both gt and prediction out of the mean (NaN IoU)', () => {
    const m = new ConfusionMatrix(21);
    m.add(u8([0, 0, 15, 15]), u8([0, 0, 15, 0]));
    const s = m.scores();
    // class 0: TP 2, FN 1, union 3; class 15: TP 1, FP 1, union 2; 19 other classes never occur
    expect(s.iou[0]).toBeCloseTo(2 / 3, 12);
    expect(s.iou[15]).toBe(0.5);
    expect(s.iou.filter(Number.isNaN)).toHaveLength(19);
    expect(s.classesInMean).toBe(2);
    expect(s.meanIoU).toBeCloseTo((2 / 3 + 0.5) / 2, 12);
  });

  it('counts a class that is only predicted (false positives) with IoU 0', () => {
    const s = new ConfusionMatrix(3).add(u8([0, 2, 2]), u8([0, 0, 0])).scores();
    expect(s.iou[2]).toBe(0);
    expect(Number.isNaN(s.classAccuracy[2])).toBe(true); // never in gt: no recall
    expect(s.classesInMean).toBe(2);
    expect(s.meanIoU).toBeCloseTo((1 / 3 + 0) / 2, 12);
  });

  it('gives NaN scores when nothing was counted', () => {
    const s = new ConfusionMatrix(3).add(u8([0, 1]), u8([255, 255])).scores();
    expect(s.pixels).toBe(0);
    expect(Number.isNaN(s.meanIoU)).toBe(true);
    expect(Number.isNaN(s.pixelAccuracy)).toBe(true);
  });

  it('rejects out-of-range labels, naming the value, and counts nothing from that image', () => {
    const m = new ConfusionMatrix(21);
    expect(() => m.add(u8([0, 0, 0]), u8([0, 21, 0]), '2007_000129')).toThrow(/ground-truth label 21 at pixel 1 is outside 0\.\.20.*/);
    expect(() => m.add(u8([0, 0, 0]), u8([0, 200, 0]))).toThrow(/label 200/);
    expect(() => m.add(u8([0, 255, 0]), u8([0, 1, 0]))).toThrow(/predicted label 255 at pixel 1/);
    expect(() => m.add(u8([0]), u8([0, 1]))).toThrow(/1 pixels, ground truth 2/);
    expect(m.scores().pixels).toBe(0);
    expect(() => new ConfusionMatrix(3).merge(new ConfusionMatrix(4))).toThrow(/4 classes vs 3/);
  });

  it('prints a table with VOC class names', () => {
    const m = new ConfusionMatrix(21).add(u8([0, 0, 2, 15]), u8([0, 0, 2, 2]));
    const t = formatScoresTable(m.scores(), VOC_CLASSES);
    expect(t).toMatch(/^background\s+100\.00\s+100\.00$/m);
    expect(t).toMatch(/^bicycle\s+50\.00\s+50\.00$/m);
    expect(t).toMatch(/^person\s+0\.00\s+-$/m);
    expect(t).toMatch(/^aeroplane\s+-\s+-$/m);
    expect(t).toMatch(/^mean \(3 cls\)\s+50\.00\s+75\.00$/m);
    expect(t).toMatch(/^pixel acc\s+75\.00$/m);
  });
});
