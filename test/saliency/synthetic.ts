// Seeded synthetic scenes for saliency tests and the bench: textured, cluttered backgrounds with a few
// objects (some low-contrast, some touching the border) and optional distractors. Kept here rather
// than in lib/ because it only exists to exercise the detectors.

import type { Map8, RgbImage } from '../../lib/types.ts';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SceneOptions {
  width: number;
  height: number;
  objects: number;
  /** make the last object low-contrast against the background */
  lowContrast?: boolean;
  /** add an object-like shape that is not foreground (label 0 in the masks) */
  distractor?: boolean;
  /** amplitude (0..255) of background texture */
  texture?: number;
  clutter?: number;
}

export interface Scene {
  image: RgbImage;
  /** 1 foreground, 0 background */
  fg: Map8;
  /** class label map: object i has class 1 + (i % 20) */
  labels: Map8;
}

type Rgb = [number, number, number];

function randomColour(rnd: () => number): Rgb {
  return [Math.floor(rnd() * 256), Math.floor(rnd() * 256), Math.floor(rnd() * 256)];
}

function shiftColour(c: Rgb, amount: number, rnd: () => number): Rgb {
  return c.map((v) => Math.max(0, Math.min(255, Math.round(v + (rnd() * 2 - 1) * amount)))) as Rgb;
}

/** Inside test for a randomly rotated ellipse or rectangle. */
function makeShape(rnd: () => number, w: number, h: number, minR: number, maxR: number, touchBorder: boolean) {
  const rx = minR + rnd() * (maxR - minR);
  const ry = minR + rnd() * (maxR - minR);
  const cx = rx + rnd() * Math.max(1, w - 2 * rx);
  let cy = ry + rnd() * Math.max(1, h - 2 * ry);
  if (touchBorder) cy = h - ry * 0.5;
  const ang = rnd() * Math.PI;
  const ca = Math.cos(ang);
  const sa = Math.sin(ang);
  const rect = rnd() < 0.4;
  return (x: number, y: number): boolean => {
    const dx = x - cx;
    const dy = y - cy;
    const u = (dx * ca + dy * sa) / rx;
    const v = (-dx * sa + dy * ca) / ry;
    return rect ? Math.abs(u) <= 0.8 && Math.abs(v) <= 0.8 : u * u + v * v <= 1;
  };
}

export function makeScene(seed: number, opts: SceneOptions): Scene {
  const rnd = mulberry32(seed);
  const { width: w, height: h } = opts;
  const texture = opts.texture ?? 40;
  const n = w * h;
  const data = new Uint8Array(n * 3);
  const fg = new Uint8Array(n);
  const labels = new Uint8Array(n);
  const base = randomColour(rnd);
  const second = shiftColour(base, 70, rnd);
  // background: two colours mixed by a smooth random field, plus fine stripes/noise texture
  const waves = Array.from({ length: 4 }, () => ({ fx: (rnd() * 6) / w, fy: (rnd() * 6) / h, ph: rnd() * 6.28 }));
  const stripeF = 0.3 + rnd() * 0.6;
  const stripeA = rnd() * Math.PI;
  const sc = Math.cos(stripeA);
  const ss = Math.sin(stripeA);
  const bg = new Float32Array(n * 3);
  for (let y = 0, p = 0; y < h; y++) {
    for (let x = 0; x < w; x++, p++) {
      let m = 0;
      for (const wv of waves) m += Math.sin(x * wv.fx * 6.28 + y * wv.fy * 6.28 + wv.ph);
      m = 0.5 + 0.5 * Math.tanh(m);
      const tex = Math.sin((x * sc + y * ss) * stripeF * (128 / Math.max(w, h)) * 4) * texture * 0.5 + (rnd() - 0.5) * texture;
      for (let c = 0; c < 3; c++) bg[p * 3 + c] = base[c] * (1 - m) + second[c] * m + tex;
    }
  }
  // clutter: small background-coloured blobs
  const clutter = opts.clutter ?? 12;
  const scale = Math.min(w, h);
  for (let i = 0; i < clutter; i++) {
    const inside = makeShape(rnd, w, h, scale * 0.02, scale * 0.06, false);
    const col = shiftColour(rnd() < 0.5 ? base : second, 35, rnd);
    for (let y = 0, p = 0; y < h; y++) for (let x = 0; x < w; x++, p++) if (inside(x, y)) for (let c = 0; c < 3; c++) bg[p * 3 + c] = col[c];
  }
  const meanBg: Rgb = [0, 0, 0];
  for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) meanBg[c] += bg[p * 3 + c] / n;
  const shapes: { inside: (x: number, y: number) => boolean; col: Rgb; col2: Rgb; isFg: boolean; cls: number }[] = [];
  const total = opts.objects + (opts.distractor ? 1 : 0);
  for (let i = 0; i < total; i++) {
    const isDistractor = opts.distractor === true && i === total - 1;
    const low = opts.lowContrast === true && i === opts.objects - 1 && !isDistractor;
    const inside = makeShape(rnd, w, h, scale * 0.1, scale * (isDistractor ? 0.12 : 0.22), i === 1 && !low);
    let col: Rgb;
    if (low) col = shiftColour(meanBg.map(Math.round) as Rgb, 0, rnd).map((v, c) => Math.max(0, Math.min(255, v + (c === 0 ? 22 : -14)))) as Rgb;
    else {
      do col = randomColour(rnd);
      while (Math.hypot(col[0] - meanBg[0], col[1] - meanBg[1], col[2] - meanBg[2]) < 90);
    }
    shapes.push({ inside, col, col2: shiftColour(col, 30, rnd), isFg: !isDistractor, cls: 1 + (i % 20) });
  }
  for (let y = 0, p = 0; y < h; y++) {
    for (let x = 0; x < w; x++, p++) {
      let r = bg[p * 3];
      let g = bg[p * 3 + 1];
      let b = bg[p * 3 + 2];
      for (const s of shapes) {
        if (!s.inside(x, y)) continue;
        const stripe = ((x + y) >> 2) & 1 ? s.col : s.col2;
        const noise = (rnd() - 0.5) * 12;
        r = stripe[0] + noise;
        g = stripe[1] + noise;
        b = stripe[2] + noise;
        fg[p] = s.isFg ? 1 : 0;
        labels[p] = s.isFg ? s.cls : 0;
      }
      data[p * 3] = Math.max(0, Math.min(255, Math.round(r)));
      data[p * 3 + 1] = Math.max(0, Math.min(255, Math.round(g)));
      data[p * 3 + 2] = Math.max(0, Math.min(255, Math.round(b)));
    }
  }
  return {
    image: { width: w, height: h, data },
    fg: { width: w, height: h, data: fg },
    labels: { width: w, height: h, data: labels },
  };
}
