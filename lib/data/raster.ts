// Raster helpers for the toy renderer: colours, shapes rasterised into anti-aliased coverage under
// a placement, a float canvas to paint on, and instance maps with their void band. No scene policy
// here (what to draw, where, in which colours: toy-render.ts); everything is a pure function of its
// arguments, so an image stays reproducible from its Rng alone.
import type { RgbImage } from '../types.ts';
import type { ShapeFn } from './toy-classes.ts';

export type Color = [number, number, number];

export function hsv(h: number, s: number, v: number): Color {
  h = ((h % 1) + 1) % 1;
  const i = Math.floor(h * 6);
  const f = h * 6 - i;
  const p = v * (1 - s);
  const q = v * (1 - f * s);
  const t = v * (1 - (1 - f) * s);
  const table: Color[] = [
    [v, t, p],
    [q, v, p],
    [p, v, t],
    [p, q, v],
    [t, p, v],
    [v, p, q],
  ];
  const c = table[i % 6];
  return [c[0] * 255, c[1] * 255, c[2] * 255];
}

export function clampColor(c: Color): Color {
  return [Math.max(0, Math.min(255, c[0])), Math.max(0, Math.min(255, c[1])), Math.max(0, Math.min(255, c[2]))];
}

/** Pixel coverage of a shape under a similarity-ish transform, restricted to its bounding box. */
export interface Raster {
  x0: number;
  y0: number;
  w: number;
  h: number;
  /** anti-aliased coverage in [0, 1] */
  cov: Float32Array;
  /** 1 where the pixel centre is inside the shape (hard label) */
  inside: Uint8Array;
  area: number;
}

export interface Placement {
  cx: number;
  cy: number;
  sx: number;
  sy: number;
  angle: number;
}

export function rasterise(shape: ShapeFn, p: Placement, W: number, H: number, extent = 1.45): Raster {
  const r = extent * Math.max(p.sx, p.sy);
  const x0 = Math.max(0, Math.floor(p.cx - r));
  const y0 = Math.max(0, Math.floor(p.cy - r));
  const x1 = Math.min(W, Math.ceil(p.cx + r));
  const y1 = Math.min(H, Math.ceil(p.cy + r));
  const w = Math.max(0, x1 - x0);
  const h = Math.max(0, y1 - y0);
  const cov = new Float32Array(w * h);
  const inside = new Uint8Array(w * h);
  const cos = Math.cos(p.angle);
  const sin = Math.sin(p.angle);
  const pxPerUnit = Math.min(p.sx, p.sy);
  let area = 0;
  for (let y = 0; y < h; y++) {
    const dy = y0 + y + 0.5 - p.cy;
    for (let x = 0; x < w; x++) {
      const dx = x0 + x + 0.5 - p.cx;
      const u = (dx * cos + dy * sin) / p.sx;
      const v = (-dx * sin + dy * cos) / p.sy;
      // cheap reject far outside the unit frame
      if (u * u + v * v > 2.2) continue;
      const d = shape(u, v) * pxPerUnit;
      const c = 0.5 - d;
      if (c <= 0) continue;
      cov[y * w + x] = c >= 1 ? 1 : c;
      if (d < 0) {
        inside[y * w + x] = 1;
        area++;
      }
    }
  }
  return { x0, y0, w, h, cov, inside, area };
}

const localAreaCache = new Map<ShapeFn, number>();

/** Area of a shape in its local frame (units^2), measured once on a fine grid. */
function localArea(shape: ShapeFn): number {
  let area = localAreaCache.get(shape);
  if (area === undefined) {
    const n = 200;
    let count = 0;
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < n; i++) {
        if (shape(-1.45 + (2.9 * (i + 0.5)) / n, -1.45 + (2.9 * (j + 0.5)) / n) < 0) count++;
      }
    }
    area = (count / (n * n)) * 2.9 * 2.9;
    localAreaCache.set(shape, area);
  }
  return area;
}

/** Area the shape would have if nothing clipped it (to judge how much of an object is visible). */
export function unclippedArea(shape: ShapeFn, p: Placement): number {
  return localArea(shape) * p.sx * p.sy;
}

export class Canvas {
  readonly data: Float32Array;
  constructor(
    readonly W: number,
    readonly H: number,
  ) {
    this.data = new Float32Array(W * H * 3);
  }

  blend(i: number, c: Color, a: number): void {
    this.blend3(i, c[0], c[1], c[2], a);
  }

  /** per-pixel form without an array allocation (the paint loops run millions of times) */
  blend3(i: number, r: number, g: number, b: number, a: number): void {
    const o = i * 3;
    const d = this.data;
    d[o] += (r - d[o]) * a;
    d[o + 1] += (g - d[o + 1]) * a;
    d[o + 2] += (b - d[o + 2]) * a;
  }

  meanOver(r: Raster): Color {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let n = 0;
    for (let y = 0; y < r.h; y++) {
      for (let x = 0; x < r.w; x++) {
        if (!r.inside[y * r.w + x]) continue;
        const o = ((r.y0 + y) * this.W + r.x0 + x) * 3;
        s0 += this.data[o];
        s1 += this.data[o + 1];
        s2 += this.data[o + 2];
        n++;
      }
    }
    return n ? [s0 / n, s1 / n, s2 / n] : [128, 128, 128];
  }

  toRgb(): RgbImage {
    // a clamped array rounds and clamps on assignment
    const out = new Uint8ClampedArray(this.data.length);
    out.set(this.data);
    return { width: this.W, height: this.H, data: new Uint8Array(out.buffer) };
  }
}

/** Instance id per pixel (0 background, k+1 for instances[k]); later instances are on top. */
export function composeInstances(rasters: Raster[], W: number, H: number): Uint8Array {
  const inst = new Uint8Array(W * H);
  rasters.forEach((r, k) => {
    for (let y = 0; y < r.h; y++) {
      for (let x = 0; x < r.w; x++) {
        if (r.inside[y * r.w + x]) inst[(r.y0 + y) * W + r.x0 + x] = k + 1;
      }
    }
  });
  return inst;
}

/** Void band: every pixel with a different instance id within `radius` (Chebyshev) is void. */
export function voidBand(inst: Uint8Array, W: number, H: number, radius: number): Uint8Array {
  const band = new Uint8Array(W * H);
  if (radius <= 0) return band;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const v = inst[y * W + x];
      let differs = false;
      for (let dy = -radius; dy <= radius && !differs; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= H) continue;
        for (let dx = -radius; dx <= radius; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= W) continue;
          if (inst[yy * W + xx] !== v) {
            differs = true;
            break;
          }
        }
      }
      if (differs) band[y * W + x] = 1;
    }
  }
  return band;
}
