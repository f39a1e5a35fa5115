// Seeded initialisation: same bits for the same seed on every backend, sensible moments.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../lib/tensor/backend.ts';
import { deriveSeed, heNormalFilter, Prng, seededNormalArray, seededUniformArray } from '../../lib/tensor/random.ts';

describe('seeded random numbers', () => {
  it('repeats exactly for a seed and differs across seeds', () => {
    expect(seededNormalArray(1000, 1, 42)).toEqual(seededNormalArray(1000, 1, 42));
    expect(seededNormalArray(1000, 1, 42)).not.toEqual(seededNormalArray(1000, 1, 43));
    expect(deriveSeed(1, 0)).not.toBe(deriveSeed(1, 1));
  });

  it('has the right moments', () => {
    const n = 200_000;
    const v = seededNormalArray(n, 2, 5, 1);
    const mean = v.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
    expect(Math.abs(mean - 1)).toBeLessThan(0.02);
    expect(Math.abs(sd - 2)).toBeLessThan(0.02);
    const u = seededUniformArray(n, -1, 3, 5);
    expect(u.reduce((a, b) => Math.min(a, b), Infinity)).toBeGreaterThanOrEqual(-1);
    expect(u.reduce((a, b) => Math.max(a, b), -Infinity)).toBeLessThan(3);
    const r = new Prng(9);
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < n; i++) buckets[Math.floor(r.next() * 10)]++;
    for (const b of buckets) expect(Math.abs(b - n / 10)).toBeLessThan(n / 100);
  });

  it('gives identical tensors on cpu and wasm', async () => {
    const vals: Float32Array[] = [];
    for (const b of ['cpu', 'wasm'] as const) {
      await initBackend({ prefer: b, log: () => {} });
      const t = heNormalFilter([3, 3, 4, 8], 77);
      vals.push(t.dataSync() as Float32Array);
      t.dispose();
    }
    expect(vals[0]).toEqual(vals[1]);
    expect(tf.getBackend()).toBe('wasm');
  });
});
