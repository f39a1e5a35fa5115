import { describe, expect, it } from 'vitest';
import { SaliencyQuality } from '../../lib/metrics/saliency.ts';
import { boundarySaliency } from '../../lib/saliency/boundary.ts';
import { createDetector, hierarchicalSaliency } from '../../lib/saliency/index.ts';
import { resampleInterleaved } from '../../lib/saliency/resample.ts';
import type { Map8, MapF32, RgbImage } from '../../lib/types.ts';
import { makeScene, mulberry32 } from './synthetic.ts';
import { params as erase2 } from '../../stages/erase-s2.ts';
import { params as erase3 } from '../../stages/erase-s3.ts';
// erase-s2's and erase-s3's thresholds, as their declarations default them
const DCSP_ERASE = [erase2.parse({}).threshold, erase3.parse({}).threshold];

function meanInOut(map: MapF32, fg: Map8): { inside: number; outside: number } {
  let si = 0;
  let ni = 0;
  let so = 0;
  let no = 0;
  for (let i = 0; i < fg.data.length; i++) {
    if (fg.data[i] === 1) {
      si += map.data[i];
      ni++;
    } else if (fg.data[i] === 0) {
      so += map.data[i];
      no++;
    }
  }
  return { inside: si / ni, outside: so / no };
}

/** A disc of one colour on a flat or noisy-textured background. */
function disc(w: number, h: number, textured: boolean, seed: number): { img: RgbImage; fg: Map8 } {
  const rnd = mulberry32(seed);
  const data = new Uint8Array(w * h * 3);
  const fg = new Uint8Array(w * h);
  const cx = w * 0.55;
  const cy = h * 0.45;
  const r = Math.min(w, h) * 0.22;
  for (let y = 0, p = 0; y < h; y++) {
    for (let x = 0; x < w; x++, p++) {
      const inside = (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
      fg[p] = inside ? 1 : 0;
      const n = textured ? (rnd() - 0.5) * 50 + 20 * Math.sin(x * 0.9 + y * 0.4) : 0;
      const col = inside ? [200, 60, 50] : [90 + n, 130 + n, 90 + n];
      for (let c = 0; c < 3; c++) data[p * 3 + c] = Math.max(0, Math.min(255, Math.round(col[c])));
    }
  }
  return { img: { width: w, height: h, data }, fg: { width: w, height: h, data: fg } };
}

describe('boundary detector', () => {
  it('ranks a contrasting object above a flat background', () => {
    const { img, fg } = disc(120, 90, false, 1);
    const map = boundarySaliency(img);
    expect([map.width, map.height]).toEqual([120, 90]);
    const { inside, outside } = meanInOut(map, fg);
    expect(inside).toBeGreaterThan(0.8);
    expect(outside).toBeLessThan(0.1);
  });

  it('ranks a contrasting object above a textured background', () => {
    const { img, fg } = disc(160, 120, true, 2);
    const { inside, outside } = meanInOut(boundarySaliency(img), fg);
    expect(inside - outside).toBeGreaterThan(0.5);
  });

  it('works on cluttered synthetic scenes: high max-F, most objects found', () => {
    const q = new SaliencyQuality();
    for (let i = 0; i < 12; i++) {
      const sc = makeScene(100 + i, { width: 128, height: 96, objects: 1 + (i % 2), texture: 40 });
      const map = boundarySaliency(sc.image);
      for (const v of map.data) if (!(v >= 0 && v <= 1)) throw new Error(`map value ${v} outside [0,1]`);
      q.add(map, sc.fg, sc.labels);
    }
    const s = q.summary();
    expect(s.maxF).toBeGreaterThan(0.7);
    expect(s.mae).toBeLessThan(0.2);
    expect(s.objectRecall).toBeGreaterThan(0.6);
  });

  it('is deterministic and handles tiny and odd-sized images', async () => {
    const sc = makeScene(5, { width: 97, height: 61, objects: 2 });
    const a = boundarySaliency(sc.image);
    const b = boundarySaliency(sc.image);
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer))).toBe(true);
    const tiny = boundarySaliency({ width: 3, height: 2, data: new Uint8Array(18).fill(128) });
    expect(tiny.data.length).toBe(6);
    await expect(createDetector({ kind: 'boundary', maxSid: 64 })).rejects.toThrow(/invalid saliency detector spec/);
    const det = await createDetector({ kind: 'boundary', maxSide: 64 });
    const small = await det.detect(sc.image);
    expect([small.width, small.height]).toEqual([97, 61]);
  });

  it('hierarchical erasing recovers a low-contrast second object', async () => {
    // A: a strongly contrasting disc; B: a dull ellipse close to the background colour
    const w = 128;
    const h = 96;
    const rnd = mulberry32(3);
    const data = new Uint8Array(w * h * 3);
    const region = new Uint8Array(w * h);
    for (let y = 0, p = 0; y < h; y++) {
      for (let x = 0; x < w; x++, p++) {
        const a = (x - 38) ** 2 + (y - 48) ** 2 < 18 * 18;
        const b = (x - 92) ** 2 / 16 ** 2 + (y - 44) ** 2 / 22 ** 2 < 1;
        region[p] = a ? 1 : b ? 2 : 0;
        const n = (rnd() - 0.5) * 24;
        const col = a ? [220, 40, 40] : b ? [150, 120, 80] : [110 + n, 120 + n, 90 + n];
        for (let c = 0; c < 3; c++) data[p * 3 + c] = Math.max(0, Math.min(255, Math.round(col[c])));
      }
    }
    const det = await createDetector({ kind: 'boundary' });
    const r = await hierarchicalSaliency(det, { width: w, height: h, data }, { thresholds: DCSP_ERASE });
    const means = r.s.map((s) => {
      const sum = [0, 0, 0];
      const n = [0, 0, 0];
      for (let i = 0; i < w * h; i++) {
        sum[region[i]] += s.data[i];
        n[region[i]]++;
      }
      return sum.map((v, i) => v / n[i]);
    });
    const [s1, s2, s3] = means;
    expect(s1[1]).toBeGreaterThan(0.9); // A found at once
    expect(s1[2]).toBeLessThan(0.3); // B missed by one pass
    expect(s2[2]).toBeGreaterThan(0.8); // B found once A is erased
    expect(s3[2]).toBeGreaterThanOrEqual(s2[2]);
    expect(s3[0]).toBeLessThan(0.45); // background stays well below the objects
    // the first erasure covers A and not B
    const m1 = r.erased[0].data;
    let inA = 0;
    let inB = 0;
    for (let i = 0; i < w * h; i++) {
      if (region[i] === 1) inA += m1[i];
      if (region[i] === 2) inB += m1[i];
    }
    expect(inA).toBeGreaterThan(0.9 * 1017);
    expect(inB).toBe(0);
  });
});

describe('resampling', () => {
  it('keeps constant images constant and preserves the mean when downscaling', () => {
    const w = 50;
    const h = 30;
    const flat = new Uint8Array(w * h * 3).fill(77);
    const small = resampleInterleaved(flat, w, h, 3, 17, 11, 'triangle');
    for (const v of small) expect(v).toBeCloseTo(77, 3);
    const up = resampleInterleaved(Float32Array.from([0, 1, 0, 1]), 2, 2, 1, 8, 8, 'cubic');
    expect(up.length).toBe(64);
    const ramp = Float32Array.from({ length: 64 }, (_, i) => i % 8);
    const down = resampleInterleaved(ramp, 8, 8, 1, 4, 4, 'triangle');
    const meanIn = ramp.reduce((a, b) => a + b, 0) / 64;
    const meanOut = down.reduce((a, b) => a + b, 0) / 16;
    expect(meanOut).toBeCloseTo(meanIn, 4);
  });
});
