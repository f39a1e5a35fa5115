// A class-agnostic salient-object set for training the DHSNet detector on the toy profile: scenes
// like the toy set's (textured two-region backgrounds, 1-3 objects, some low-contrast, touching the
// border), but the objects are shapes that none of the 20 toy classes uses (stars, crosses,
// triangles, diamonds, L-blocks, radial blobs), and the mask is every object. A detector trained on
// it has never seen a toy class, as DHSNet trained on MSRA10K/DUTS never saw VOC's labels.
// An image is a pure function of (seed, index), so the set needs no files and no state.

import type { Map8, RgbImage } from '../types.ts';
import { fbm } from './noise.ts';
import { hashSeed, Rng } from './prng.ts';
import { box, polygon } from './sdf.ts';

export interface AgnosticSample {
  image: RgbImage;
  /** 1 on salient objects, 0 elsewhere */
  mask: Map8;
}

export interface AgnosticOptions {
  minSize: number;
  maxSize: number;
  /** most objects per image */
  maxObjects: number;
  /** probability that an object takes colours close to its background */
  lowContrastRate: number;
}

type Shape = (x: number, y: number, rng: number) => number;

function regular(n: number, inner: number, phase: number): number[] {
  const pts: number[] = [];
  const k = inner > 0 ? 2 * n : n;
  for (let i = 0; i < k; i++) {
    const r = inner > 0 && i % 2 === 1 ? inner : 1;
    const a = phase + (2 * Math.PI * i) / k;
    pts.push(r * Math.cos(a), r * Math.sin(a));
  }
  return pts;
}

const STAR = regular(5, 0.45, -Math.PI / 2);
const TRIANGLE = regular(3, 0, -Math.PI / 2);
const DIAMOND = [0, -1, 0.6, 0, 0, 1, -0.6, 0];

/** Shapes in a local frame spanning about [-1, 1]; the third argument varies a blob per instance. */
export const AGNOSTIC_SHAPES: readonly { name: string; sdf: Shape }[] = [
  { name: 'five-point star', sdf: (x, y) => polygon(x, y, STAR) },
  { name: 'plus cross', sdf: (x, y) => Math.min(box(x, y, 0, 0, 0.95, 0.3), box(x, y, 0, 0, 0.3, 0.95)) },
  { name: 'triangle', sdf: (x, y) => polygon(x, y, TRIANGLE) },
  { name: 'diamond', sdf: (x, y) => polygon(x, y, DIAMOND) },
  { name: 'L-block', sdf: (x, y) => Math.min(box(x, y, -0.55, 0, 0.35, 0.9), box(x, y, 0.1, 0.6, 0.8, 0.3)) },
  {
    name: 'radial blob',
    sdf: (x, y, s) => {
      const a = Math.atan2(y, x);
      const r = 0.75 + 0.2 * Math.sin(3 * a + s) + 0.1 * Math.sin(5 * a + 2 * s);
      return Math.hypot(x, y) - r;
    },
  },
];

function hueColour(h: number, s: number, v: number): [number, number, number] {
  const f = (n: number): number => {
    const k = (n + h * 6) % 6;
    return v - v * s * Math.max(0, Math.min(k, 4 - k, 1));
  };
  return [f(5) * 255, f(3) * 255, f(1) * 255];
}

export function renderAgnostic(seed: number, index: number, opts: AgnosticOptions): AgnosticSample {
  const rng = new Rng(hashSeed('toy-agnostic', seed, index));
  const W = rng.int(opts.minSize, opts.maxSize);
  const H = rng.int(opts.minSize, opts.maxSize);
  const rgb = new Float32Array(W * H * 3);
  const mask = new Uint8Array(W * H);
  // background: two noise-mixed colours, half the time a second region below a wavy horizon
  const hue = rng.next();
  const bg = [hueColour(hue, rng.range(0.05, 0.6), rng.range(0.25, 0.9)), hueColour(hue + rng.range(-0.1, 0.1), rng.range(0.05, 0.6), rng.range(0.2, 0.9))];
  const hue2 = hue + rng.range(0.25, 0.75);
  const ground = [hueColour(hue2, rng.range(0.05, 0.6), rng.range(0.2, 0.85)), hueColour(hue2, rng.range(0.05, 0.6), rng.range(0.2, 0.85))];
  const split = rng.next() < 0.5;
  const horizon = rng.range(0.3, 0.7) * H;
  const cell = rng.range(8, 30);
  const noiseSeed = rng.nextU32();
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const n = fbm(x / cell, y / cell, noiseSeed, 3);
      const [a, b] = split && y > horizon + 0.05 * H * Math.sin(x / 9) ? ground : bg;
      for (let c = 0; c < 3; c++) rgb[(y * W + x) * 3 + c] = a[c] + (b[c] - a[c]) * n;
    }
  }
  const count = rng.int(1, opts.maxObjects);
  for (let k = 0; k < count; k++) {
    const shape = rng.pick(AGNOSTIC_SHAPES);
    const size = rng.range(0.12, 0.32) * Math.min(W, H);
    const sx = size * rng.range(0.75, 1.3),
      sy = size * rng.range(0.75, 1.3);
    const cx = rng.range(0.1, 0.9) * W,
      cy = rng.range(0.1, 0.9) * H;
    const angle = rng.range(-Math.PI, Math.PI);
    const variant = rng.range(0, 2 * Math.PI);
    const low = rng.next() < opts.lowContrastRate;
    const i0 = (Math.min(H - 1, Math.max(0, Math.round(cy))) * W + Math.min(W - 1, Math.max(0, Math.round(cx)))) * 3;
    const behind: [number, number, number] = [rgb[i0], rgb[i0 + 1], rgb[i0 + 2]];
    const c1 = low ? behind.map((v) => v + rng.range(-30, 30)) : hueColour(rng.next(), rng.range(0.4, 1), rng.range(0.45, 1));
    const c2 = c1.map((v) => v * rng.range(0.6, 1.1));
    const period = rng.range(0.3, 0.8);
    const cos = Math.cos(angle),
      sin = Math.sin(angle);
    const r = 1.5 * Math.max(sx, sy);
    for (let y = Math.max(0, Math.floor(cy - r)); y < Math.min(H, Math.ceil(cy + r)); y++) {
      for (let x = Math.max(0, Math.floor(cx - r)); x < Math.min(W, Math.ceil(cx + r)); x++) {
        const dx = x + 0.5 - cx,
          dy = y + 0.5 - cy;
        const u = (dx * cos + dy * sin) / sx,
          v = (-dx * sin + dy * cos) / sy;
        const d = shape.sdf(u, v, variant) * Math.min(sx, sy);
        const cover = Math.max(0, Math.min(1, 0.5 - d));
        if (cover <= 0) continue;
        const t = 0.5 + 0.5 * Math.sin((u + v) / period);
        const i = (y * W + x) * 3;
        for (let c = 0; c < 3; c++) rgb[i + c] += (c1[c] + (c2[c] - c1[c]) * t - rgb[i + c]) * cover;
        // a later object on top keeps the union: every object is salient
        if (d < 0) mask[y * W + x] = 1;
      }
    }
  }
  const data = new Uint8Array(W * H * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(rgb[i] + (rng.next() - 0.5) * 6)));
  return { image: { width: W, height: H, data }, mask: { width: W, height: H, data: mask } };
}
