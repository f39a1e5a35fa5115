import { describe, expect, it } from 'vitest';
import {
  eraseImage,
  eraseMask,
  erasePass,
  firstPass,
  fromUint8,
  hierarchicalSaliency,
  maxCombine,
  toUint8,
  unionMask,
  type SaliencyDetector,
} from '../../lib/saliency/index.ts';
import type { MapF32, RgbImage } from '../../lib/types.ts';

const f32 = (w: number, h: number, v: number[]): MapF32 => ({ width: w, height: h, data: Float32Array.from(v) });

describe('erase and combine', () => {
  const s = f32(3, 2, [0.7, 0.69, 0.71, 0, 1, 0.8]);

  it('">=" (code) and ">" (paper) differ exactly at the threshold', () => {
    expect([...eraseMask(s, 0.7, '>=').data]).toEqual([1, 0, 1, 0, 1, 1]);
    expect([...eraseMask(s, 0.7, '>').data]).toEqual([0, 0, 1, 0, 1, 1]);
    expect([...eraseMask(s, 0.8, '>=').data]).toEqual([0, 0, 0, 0, 1, 1]);
    expect([...eraseMask(s, 0.8, '>').data]).toEqual([0, 0, 0, 0, 1, 0]);
  });

  it('erases masked pixels to the fill colour and leaves the input untouched', () => {
    const img: RgbImage = { width: 2, height: 1, data: Uint8Array.from([10, 20, 30, 40, 50, 60]) };
    const mask = { width: 2, height: 1, data: Uint8Array.from([0, 1]) };
    const out = eraseImage(img, mask, [122.679, 116.669, 104.007]);
    expect([...out.data]).toEqual([10, 20, 30, 123, 117, 104]);
    expect([...img.data]).toEqual([10, 20, 30, 40, 50, 60]);
  });

  it('masks accumulate and maps combine by max', () => {
    const m1 = { width: 4, height: 1, data: Uint8Array.from([1, 0, 0, 0]) };
    const m2 = { width: 4, height: 1, data: Uint8Array.from([0, 1, 0, 1]) };
    expect([...unionMask(null, m1).data]).toEqual([1, 0, 0, 0]);
    expect([...unionMask(m1, m2).data]).toEqual([1, 1, 0, 1]);
    const c = maxCombine(f32(4, 1, [0.1, 0.9, 0.5, 0]), f32(4, 1, [0.2, 0.3, 0.5, 0.4]));
    expect([...c.data]).toEqual([0.2, 0.9, 0.5, 0.4].map(Math.fround));
  });

  it('uint8 round trip: round half up, clamp, NaN to 0, exact inverse on uint8', () => {
    const q = toUint8(f32(7, 1, [0, 1, 0.5, 0.5 / 255, 1.2, -0.1, NaN]));
    expect([...q.data]).toEqual([0, 255, 128, 1, 255, 0, 0]);
    const all = { width: 256, height: 1, data: Uint8Array.from({ length: 256 }, (_, i) => i) };
    expect([...toUint8(fromUint8(all)).data]).toEqual([...all.data]);
  });
});

/**
 * A fake detector over 1-row images: "saliency" of a pixel is a fixed value keyed by its red channel,
 * so erased pixels (red = fill) get the fill's value. It records what it saw.
 */
function tableDetector(table: Record<number, number>): SaliencyDetector & { seen: number[][] } {
  const seen: number[][] = [];
  return {
    name: 'table',
    seen,
    async detect(img: RgbImage): Promise<MapF32> {
      const reds = [];
      const data = new Float32Array(img.width * img.height);
      for (let i = 0; i < data.length; i++) {
        reds.push(img.data[3 * i]);
        data[i] = table[img.data[3 * i]] ?? 0;
      }
      seen.push(reds);
      return { width: img.width, height: img.height, data };
    },
    async dispose() {},
  };
}

describe('hierarchical saliency', () => {
  // reds: 1 strong object (10), 2 second object revealed after erasing (20), 3 weak third (30), 4 bg (40)
  const img: RgbImage = { width: 6, height: 1, data: Uint8Array.from([10, 0, 0, 10, 0, 0, 20, 0, 0, 30, 0, 0, 40, 0, 0, 40, 0, 0]) };
  const fill = [99, 0, 0] as const;

  it('S1, S2, S3 with accumulating erasures (thresholds 0.7 / 0.8, ">=")', async () => {
    // first pass: 10 -> 0.9, 20 -> 0.6, 30 -> 0.3, bg 0.1; after erasing, the detector sees 99 -> 0.2
    // pass 2 (20 now the most salient in the test's story): use a second table via a stateful detector
    const tables: Record<number, number>[] = [
      { 10: 0.9, 20: 0.6, 30: 0.3, 40: 0.1 },
      { 99: 0.2, 20: 0.8, 30: 0.5, 40: 0.1 },
      { 99: 0.2, 30: 0.7, 40: 0.0 },
    ];
    let pass = 0;
    const seen: number[][] = [];
    const det: SaliencyDetector = {
      name: 'staged',
      async detect(im) {
        const d = tableDetector(tables[pass++]);
        const m = await d.detect(im);
        seen.push(d.seen[0]);
        return m;
      },
      async dispose() {},
    };
    const r = await hierarchicalSaliency(det, img, { thresholds: [0.7, 0.8], fill, quantize: false, keepImages: true });
    expect(seen).toEqual([
      [10, 10, 20, 30, 40, 40],
      [99, 99, 20, 30, 40, 40], // M1 = S1 >= 0.7 erased the 10s
      [99, 99, 99, 30, 40, 40], // M2 = M1 | S2e >= 0.8 also erased the 20; the 10s stay erased
    ]);
    expect([...r.erased[0].data]).toEqual([1, 1, 0, 0, 0, 0]);
    expect([...r.erased[1].data]).toEqual([1, 1, 1, 0, 0, 0]);
    expect([...r.s[0].data]).toEqual([0.9, 0.9, 0.6, 0.3, 0.1, 0.1].map(Math.fround));
    expect([...r.s[1].data]).toEqual([0.9, 0.9, 0.8, 0.5, 0.1, 0.1].map(Math.fround));
    expect([...r.s[2].data]).toEqual([0.9, 0.9, 0.8, 0.7, 0.1, 0.1].map(Math.fround));
    expect([...r.raw[1].data]).toEqual([0.2, 0.2, 0.8, 0.5, 0.1, 0.1].map(Math.fround));
    expect(r.images?.map((im) => im.data[0])).toEqual([99, 99]);
  });

  it('">" (paper) keeps a pixel exactly at the threshold', async () => {
    const det = tableDetector({ 10: 0.7, 20: 0.75, 30: 0.3, 40: 0.1, 99: 0 });
    const ge = await hierarchicalSaliency(det, img, { thresholds: [0.7], fill, compare: '>=', quantize: false });
    const gt = await hierarchicalSaliency(det, img, { thresholds: [0.7], fill, compare: '>', quantize: false });
    expect([...ge.erased[0].data]).toEqual([1, 1, 1, 0, 0, 0]);
    expect([...gt.erased[0].data]).toEqual([0, 0, 1, 0, 0, 0]);
  });

  it('the staged passes (through stored uint8 maps) give the same bytes as the one-call version', async () => {
    const det = tableDetector({ 10: 0.9, 20: 0.70001, 30: 0.4, 40: 0.1, 99: 0.2 });
    const all = await hierarchicalSaliency(det, img, { fill, thresholds: [0.7, 0.8] });
    // stage 1 stores S1; stage 2 reads it back, runs one pass, stores S2, S2e and the mask; and so on
    const p1 = await firstPass(det, img, { fill });
    const s1 = toUint8(p1.combined);
    const p2 = await erasePass(det, { image: img, prevRaw: fromUint8(s1), prevCombined: fromUint8(s1), prevMask: null, threshold: 0.7 }, { fill });
    const [s2, s2e, m1] = [toUint8(p2.combined), toUint8(p2.raw), p2.mask];
    const p3 = await erasePass(det, { image: img, prevRaw: fromUint8(s2e), prevCombined: fromUint8(s2), prevMask: m1, threshold: 0.8 }, { fill });
    expect([...toUint8(all.s[0]).data]).toEqual([...s1.data]);
    expect([...toUint8(all.s[1]).data]).toEqual([...s2.data]);
    expect([...toUint8(all.s[2]).data]).toEqual([...toUint8(p3.combined).data]);
    expect([...all.erased[1].data]).toEqual([...p3.mask.data]);
    // quantisation matters here: 0.70001 rounds to 179/255 >= 0.7 in both paths
    expect([...all.erased[0].data]).toEqual([1, 1, 1, 0, 0, 0]);
  });

  it('rejects a detector that returns the wrong size', async () => {
    const bad: SaliencyDetector = { name: 'bad', detect: async () => f32(1, 1, [0]), dispose: async () => {} };
    await expect(hierarchicalSaliency(bad, img, { thresholds: [0.7] })).rejects.toThrow(/size mismatch/);
  });
});
