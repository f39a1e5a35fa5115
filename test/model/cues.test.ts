// Pure maths of the cue pipeline on hand-built inputs: Algorithm 1, adapt masking, attention
// normalisation, nearest downsampling of cues, augmentation, cue quality.

import { describe, expect, it } from 'vitest';
import { adaptCues } from '../../lib/model/adapt.ts';
import { normaliseAttention } from '../../lib/model/attention-norm.ts';
import { augment, sampleRng } from '../../lib/model/augment.ts';
import { CueQuality } from '../../lib/model/cue-quality.ts';
import { cuesFromAttention } from '../../lib/model/cues.ts';
import { downsampleCues } from '../../lib/model/losses.ts';
import { MEAN_BGR } from '../../lib/model/preprocess.ts';
import { Prng } from '../../lib/tensor/random.ts';
import { VOC_CLASSES } from '../../lib/types.ts';

/** the paper's settings */
const PAPER = { gamma: 0.4, mean: 'harmonic' } as const;

describe('Algorithm 1 (cuesFromAttention)', () => {
  it('labels by the harmonic mean of A_c and S, background below gamma, ties to the lowest id', () => {
    // classes 2 and 15 on a 4x1 image
    const A = new Float32Array([0.9, 0.3, 0.5, 0.2, /* class 15 */ 0.2, 0.8, 0.5, 0.2]);
    const S = new Float32Array([1, 1, 1, 0.5]);
    // px0: H2 = 2/(1/0.9+1) = 0.947 -> 2; px1: H15 = 0.889 -> 15; px2: tie 0.667 -> 2;
    // px3: H = 2/(5+2) = 0.286 < 0.4 -> background
    expect([...cuesFromAttention(A, [2, 15], S, 4, 1, PAPER)]).toEqual([2, 15, 2, 0]);
    // maps given in another class order: same labels, tie still to the lowest id
    const swapped = new Float32Array([...A.slice(4), ...A.slice(0, 4)]);
    expect([...cuesFromAttention(swapped, [15, 2], S, 4, 1, PAPER)]).toEqual([2, 15, 2, 0]);
  });

  it('puts a pixel exactly at gamma in the foreground (background iff max < gamma)', () => {
    const S = new Float64Array([0.4, 0.39999]);
    // the arithmetic mean of two equal doubles is exact: 0.4 -> foreground at gamma 0.4
    const a64 = new Float64Array([0.4, 0.39999]);
    expect([...cuesFromAttention(a64, [7], S, 2, 1, { mean: 'arithmetic', gamma: 0.4 })]).toEqual([7, 0]);
    expect([...cuesFromAttention(a64, [7], S, 2, 1, { mean: 'arithmetic', gamma: 0.39999 })]).toEqual([7, 7]);
  });

  it('switches between the three means', () => {
    // A = 0.9, S = 0.1: harmonic 0.18, geometric 0.3, arithmetic 0.5
    const A = new Float64Array([0.9]);
    const S = new Float64Array([0.1]);
    const run = (mean: 'harmonic' | 'arithmetic' | 'geometric', gamma: number) => cuesFromAttention(A, [4], S, 1, 1, { mean, gamma })[0];
    expect([run('harmonic', 0.4), run('geometric', 0.4), run('arithmetic', 0.4)]).toEqual([0, 0, 4]);
    expect([run('harmonic', 0.25), run('geometric', 0.25), run('arithmetic', 0.25)]).toEqual([0, 4, 4]);
    expect([run('harmonic', 0.17), run('geometric', 0.17), run('arithmetic', 0.17)]).toEqual([4, 4, 4]);
  });

  it('reads uint8 maps as value / 255 and rejects bad inputs', () => {
    const A = new Uint8Array([255, 102, 0, 255]);
    const S = new Uint8Array([255, 255]);
    // px0: class 1 -> 1.0 ; px1: class 1 0.4 vs class 3 1.0 -> 3
    expect([...cuesFromAttention(A, [1, 3], S, 2, 1, PAPER)]).toEqual([1, 3]);
    expect(() => cuesFromAttention(A, [1, 1], S, 2, 1, PAPER)).toThrow(/twice/);
    expect(() => cuesFromAttention(A, [0, 3], S, 2, 1, PAPER)).toThrow(/class id 0 is not in 1\.\.254/);
    expect(() => cuesFromAttention(A, [1], S, 2, 1, PAPER)).toThrow(/expected 1 classes/);
  });

  it('gives all background for an image with no classes', () => {
    expect([...cuesFromAttention(new Float32Array(0), [], new Float32Array([1, 1]), 2, 1, PAPER)]).toEqual([0, 0]);
  });
});

describe('adaptCues', () => {
  const logits = (rows: number[][]) => new Float32Array(rows.flat());
  it('never lets an absent class win with exclude; zero reproduces the code', () => {
    const p0 = Array(21).fill(5);
    p0[0] = -1;
    p0[3] = -2; // absent classes high, present ones negative
    const p1 = Array(21).fill(-9);
    p1[0] = 1;
    p1[3] = 2;
    const z = logits([p0, p1]);
    expect([...adaptCues(z, 2, 1, [3], 'exclude')]).toEqual([0, 3]);
    // zero: absent logits become 0 > -1, first such index (1) wins on pixel 0
    expect([...adaptCues(z, 2, 1, [3], 'zero')]).toEqual([1, 3]);
  });

  it('keeps labels inside background + present classes on random logits (exclude)', () => {
    const rng = new Prng(3);
    const n = 500;
    const z = new Float32Array(n * 21).map(() => rng.normal() * 3);
    const classes = [4, 9, 17];
    const out = adaptCues(z, n, 1, classes, 'exclude');
    for (let i = 0; i < n; i++) {
      expect([0, ...classes]).toContain(out[i]);
      const best = Math.max(...[0, ...classes].map((c) => z[i * 21 + c]));
      expect(z[i * 21 + out[i]]).toBe(best);
    }
    const zero = adaptCues(z, n, 1, classes, 'zero');
    expect(zero.some((v) => ![0, ...classes].includes(v))).toBe(true);
  });
});

describe('normaliseAttention', () => {
  it('min-max normalises each present class over the image and keeps them in ascending order', () => {
    const W = 3;
    const v = new Float32Array(W * 20);
    const set = (c: number, vals: number[]) =>
      vals.forEach((x, i) => {
        v[i * 20 + c - 1] = x;
      });
    set(5, [2, 4, 6]);
    set(1, [-1, -1, -1]);
    set(9, [100, 0, 50]); // absent: dropped
    const a = normaliseAttention(v, W, 1, [5, 1]);
    expect(a.classes).toEqual([1, 5]);
    // class 1 constant: (0 + 1e-12) / 1e-12 = 1 everywhere; class 5: (v - 2) / 4
    expect([...a.maps]).toEqual([255, 255, 255, 0, 128, 255]);
  });
});

describe('downsampleCues (TF1 nearest)', () => {
  it('takes src = floor(dst * in / out)', () => {
    const lab = new Uint8Array(64).map((_, i) => (Math.floor(i / 8) * 3 + (i % 8)) % 21);
    const out = downsampleCues(lab, 8, 8, 3, 3, VOC_CLASSES.length);
    const src = [0, 2, 5]; // floor(i * 8 / 3)
    const want: number[] = [];
    for (const y of src) for (const x of src) want.push(lab[y * 8 + x]);
    expect([...out]).toEqual(want);
  });

  it('maps 321 -> 41 like the code (last row from source row 313)', () => {
    const lab = new Uint8Array(321 * 321);
    for (let y = 0; y < 321; y++) lab.fill(y % 21, y * 321, (y + 1) * 321);
    const out = downsampleCues(lab, 321, 321, 41, 41, VOC_CLASSES.length);
    expect(out[40 * 41]).toBe(313 % 21);
    expect(out[41]).toBe(7 % 21); // floor(321 / 41) = 7
    expect(() => downsampleCues(new Uint8Array([21]), 1, 1, 1, 1, VOC_CLASSES.length)).toThrow(/neither 0\.\.20 nor void/);
  });
});

describe('augment', () => {
  const img = { width: 4, height: 4, data: new Uint8Array(48).map((_, i) => (i * 37) % 256) };
  const lab = { width: 4, height: 4, data: new Uint8Array(16).map((_, i) => (i % 3) + 1) };

  it('pads bottom/right with the mean colour (zero) and label 0', () => {
    const a = augment(img, lab, { crop: 6, scale: [1, 1], mirror: false }, new Prng(1));
    expect(a.draws).toMatchObject({ scale: 1, mirror: false, top: 0, left: 0 });
    // pixel (1, 2): BGR minus mean
    const i = 1 * 4 + 2,
      o = 1 * 6 + 2;
    expect(a.image[3 * o]).toBeCloseTo(img.data[3 * i + 2] - MEAN_BGR[0], 4);
    expect(a.image[3 * o + 2]).toBeCloseTo(img.data[3 * i] - MEAN_BGR[2], 4);
    expect(a.label![o]).toBe(lab.data[i]);
    for (let y = 0; y < 6; y++)
      for (let x = 0; x < 6; x++) {
        if (y < 4 && x < 4) continue;
        expect(a.label![y * 6 + x]).toBe(0);
        expect(a.image[3 * (y * 6 + x)]).toBe(0);
      }
  });

  it('is a function of (seed, iteration, slot), mirrors consistently, and scales in range', () => {
    const seen = new Set<boolean>();
    for (let it = 1; it <= 20; it++) {
      const a = augment(img, lab, { crop: 3, scale: [0.5, 1.5] }, sampleRng(7, it, 0));
      const b = augment(img, lab, { crop: 3, scale: [0.5, 1.5] }, sampleRng(7, it, 0));
      expect(b.image).toEqual(a.image);
      expect(b.label).toEqual(a.label);
      expect(a.draws.scale).toBeGreaterThanOrEqual(0.5);
      expect(a.draws.scale).toBeLessThan(1.5);
      seen.add(a.draws.mirror);
    }
    expect(seen.size).toBe(2);
    // mirror at scale 1 and a full crop: the output is the flipped label map
    for (let s = 0; s < 10; s++) {
      const a = augment(img, lab, { crop: 4, scale: [1, 1] }, sampleRng(11, s, 1));
      for (let y = 0; y < 4; y++)
        for (let x = 0; x < 4; x++) {
          const sx = a.draws.mirror ? 3 - x : x;
          expect(a.label![y * 4 + x]).toBe(lab.data[y * 4 + sx]);
        }
    }
    expect(augment(img, lab, { crop: 3 }, sampleRng(7, 1, 1)).draws).not.toEqual(augment(img, lab, { crop: 3 }, sampleRng(7, 1, 0)).draws);
  });
});

describe('CueQuality', () => {
  it('scores cue mIoU and foreground precision / recall against ground truth, skipping void', () => {
    const cue = new Uint8Array([0, 1, 1, 2, 0, 2]);
    const gt = new Uint8Array([0, 1, 2, 2, 1, 255]);
    const s = new CueQuality(3).add(cue, gt).scores();
    // counted pixels 0..4: cue fg = {1,2,3}, gt fg = {1,2,3,4}, correct = {1,3}
    expect(s.pixels).toBe(5);
    expect(s.precision).toBeCloseTo(2 / 3, 12);
    expect(s.recall).toBeCloseTo(2 / 4, 12);
    expect(s.fgPrecision).toBeCloseTo(1, 12);
    expect(s.fgRecall).toBeCloseTo(3 / 4, 12);
    // IoU: bg 1/2 (tp px0; fn px4), class 1: 1/3 (tp px1, fp px2, fn px4), class 2: 1/2
    expect(s.meanIoU).toBeCloseTo((1 / 2 + 1 / 3 + 1 / 2) / 3, 12);
  });
});
