import { describe, expect, it } from 'vitest';
import { foregroundFromLabels, labelObjects, objectRecall, SaliencyQuality, saliencyMae, thresholdCounts } from '../../lib/metrics/saliency.ts';
import type { Map8, MapF32 } from '../../lib/types.ts';

const f32 = (w: number, h: number, v: number[]): MapF32 => ({ width: w, height: h, data: Float32Array.from(v) });
const u8 = (w: number, h: number, v: number[]): Map8 => ({ width: w, height: h, data: Uint8Array.from(v) });

describe('MAE', () => {
  it('averages |s - gt| over non-void pixels', () => {
    const s = f32(4, 1, [1, 0.5, 0.25, 0.9]);
    const gt = u8(4, 1, [1, 0, 1, 255]);
    expect(saliencyMae(s, gt)).toBeCloseTo((0 + 0.5 + 0.75) / 3, 6);
    expect(saliencyMae(s, u8(4, 1, [255, 255, 255, 255]))).toBeNaN();
    expect(() => saliencyMae(s, u8(3, 1, [0, 0, 0]))).toThrow(/size mismatch/);
  });
});

describe('F-measure', () => {
  it('threshold counts are cumulative over quantised levels', () => {
    const s = f32(4, 1, [1, 0.5, 0.2, 0]);
    const gt = u8(4, 1, [1, 1, 0, 0]);
    const { tp, fp, fg } = thresholdCounts(s, gt);
    expect(fg).toBe(2);
    expect([tp[0], fp[0]]).toEqual([2, 2]); // t = 0: everything positive
    expect([tp[51], fp[51]]).toEqual([2, 1]); // 0.2 -> level 51 >= 51
    expect([tp[52], fp[52]]).toEqual([2, 0]);
    expect([tp[128], fp[128]]).toEqual([2, 0]); // 0.5 -> level 128 >= 128
    expect([tp[129], fp[129]]).toEqual([1, 0]);
    expect([tp[255], fp[255]]).toEqual([1, 0]);
  });

  it('a perfect binary map scores maxF = 1 and MAE = 0; an inverted one scores low', () => {
    const gt = u8(4, 2, [1, 1, 0, 0, 1, 0, 0, 255]);
    const q = new SaliencyQuality();
    q.add(f32(4, 2, [1, 1, 0, 0, 1, 0, 0, 0.3]), gt);
    const good = q.summary();
    expect(good.maxF).toBeCloseTo(1, 6);
    expect(good.mae).toBeCloseTo(0, 6);
    const bad = new SaliencyQuality();
    bad.add(f32(4, 2, [0, 0, 1, 1, 0, 1, 1, 1]), gt);
    // best case for the inverted map is t = 0 (everything positive): P = 3/7, R = 1
    const p = 3 / 7;
    expect(bad.summary().maxF).toBeCloseTo((1.3 * p) / (0.3 * p + 1), 6);
    expect(bad.summary().mae).toBeCloseTo(1, 6);
  });

  it('image-mean and pooled modes, and merge equals adding in one accumulator', () => {
    // image A: tiny object found; image B: big object half found
    const a = { s: f32(4, 1, [1, 0, 0, 0]), gt: u8(4, 1, [1, 0, 0, 0]) };
    const b = { s: f32(4, 1, [1, 1, 0, 0]), gt: u8(4, 1, [1, 1, 1, 1]) };
    const one = new SaliencyQuality();
    one.add(a.s, a.gt);
    one.add(b.s, b.gt);
    const x = new SaliencyQuality();
    x.add(a.s, a.gt);
    const y = new SaliencyQuality();
    y.add(b.s, b.gt);
    const merged = new SaliencyQuality(undefined, JSON.parse(JSON.stringify(x.state())));
    merged.merge(y.state());
    expect(merged.summary()).toEqual(one.summary());
    // at t in (0, 255]: A P=1,R=1; B P=1,R=0.5 -> mean P=1, R=0.75
    const f = (p: number, r: number) => (1.3 * p * r) / (0.3 * p + r);
    expect(one.summary().maxF).toBeCloseTo(f(1, 0.75), 6);
    // pooled: TP=3, FP=0, FG=5 at high thresholds; at t=0 TP=5 FP=3
    expect(one.summary().maxFPooled).toBeCloseTo(Math.max(f(1, 3 / 5), f(5 / 8, 1)), 6);
  });
});

describe('object recall', () => {
  // two person (15) blobs separated by background, one bicycle (2) touching one person, void band
  const labels = u8(6, 3, [15, 15, 0, 15, 2, 2, 15, 15, 0, 15, 2, 2, 0, 0, 0, 255, 255, 0]);

  it('objects are 4-connected components per class, 0 and 255 excluded', () => {
    const { objects } = labelObjects(labels);
    expect(objects).toEqual([
      { classId: 15, pixels: 4 },
      { classId: 15, pixels: 2 },
      { classId: 2, pixels: 4 },
    ]);
    // diagonal contact does not connect
    expect(labelObjects(u8(2, 2, [3, 0, 0, 3])).objects.length).toBe(2);
  });

  it('an object is found when >= 50% of its pixels are above 0.5', () => {
    const s = f32(6, 3, [0.9, 0.9, 0, 0.5, 1, 0, 0.1, 0.1, 0, 0.5, 1, 0, 0, 0, 0, 0, 0, 0]);
    // person 1: 2/4 covered -> found; person 2: 0.5 is not > 0.5 -> missed; bicycle: 2/4 -> found
    expect(objectRecall(s, labels)).toEqual({ objects: 3, found: 2 });
    expect(objectRecall(s, labels, { coverage: 0.75 })).toEqual({ objects: 3, found: 0 });
    const q = new SaliencyQuality();
    q.add(s, foregroundFromLabels(labels), labels);
    expect(q.summary().objectRecall).toBeCloseTo(2 / 3, 6);
  });

  it('foreground mask from labels keeps void', () => {
    expect([...foregroundFromLabels(u8(4, 1, [0, 7, 255, 20])).data]).toEqual([0, 1, 255, 1]);
  });
});
