// Renders one toy image with its label map, class-agnostic foreground mask and VOC objects.
// Everything is drawn into float buffers by hand (raster.ts; no canvas dependency) and depends only on the Rng
// it is given, so an image is reproducible from (seed, split, index) alone, whatever the order or
// concurrency of generation.

import type { Map8, RgbImage } from '../types.ts';
import { VOC_CLASSES, VOID_LABEL } from '../types.ts';
import { fbm, hash2, valueNoise } from './noise.ts';
import type { Rng } from './prng.ts';
import { Canvas, clampColor, composeInstances, hsv, rasterise, unclippedArea, voidBand, type Color, type Placement, type Raster } from './raster.ts';
import { capsule, circle, ellipse, polygon } from './sdf.ts';
import { arrowShape, TOY_CLASSES, type ShapeFn } from './toy-classes.ts';
import type { VocObject } from './voc-xml.ts';

export interface ToyRenderOptions {
  width: number;
  height: number;
  /** most class instances in one image (1..8) */
  maxObjects: number;
  /** probability that an instance is drawn with colours close to the background behind it */
  lowContrastRate: number;
  /**
   * whether each class has a hue of its own (jittered per instance); without it colour is random and
   * only outline and texture identify a class, which a small network trained from scratch on a few
   * thousand crops does not learn (lib/model/README.md)
   */
  classHues: boolean;
  /** probabilities of 0, 1, 2, ... distractors (salient objects of no class) */
  distractorWeights: readonly number[];
  /** void band half-width in pixels around every object instance (VOC draws ~5 px at 500 px) */
  voidWidth: number;
  /** draw only the first n toy classes (ids 1..n; default all of TOY_CLASSES): smaller class lists for tests */
  classes?: number;
}

export interface ToyInstance {
  classId: number;
  cx: number;
  cy: number;
  sx: number;
  sy: number;
  angle: number;
  lowContrast: boolean;
  textureSeed: number;
}

export interface ToyImage {
  rgb: RgbImage;
  /** class ids (0 background, TOY_CLASSES ids) with 255 on the void band */
  label: Map8;
  /** 1 inside any class object, 0 background (distractors included), 255 on the void band */
  fg: Map8;
  objects: VocObject[];
  instances: ToyInstance[];
  /** number of distractors drawn */
  distractors: number;
}

// With class hues, scene colours stay muted (low saturation) so that a vivid hue means an object
// class; shapes, textures, clutter and lighting still vary as much as without.
const MUTED_SAT = 0.25;

function paintBackground(cv: Canvas, rng: Rng, muted: boolean): void {
  const { W, H } = cv;
  const seed = rng.nextU32();
  const hue = rng.next();
  const satMax = muted ? MUTED_SAT : 0.55;
  const sat = rng.range(0.05, satMax);
  const a = hsv(hue, sat, rng.range(0.25, 0.85));
  const b = hsv(hue + rng.range(-0.15, 0.15), sat * rng.range(0.5, 1.2), rng.range(0.2, 0.9));
  // half the scenes get a second region (ground vs sky) with its own colours behind a wavy horizon
  const split = rng.chance(0.5);
  const horizon = rng.range(0.3, 0.7) * H;
  const waveAmp = rng.range(0, 0.08) * H;
  const waveFreq = rng.range(0.5, 2.5) / W;
  const hue2 = hue + rng.range(0.2, 0.8);
  const c = hsv(hue2, rng.range(0.05, satMax), rng.range(0.2, 0.85));
  const d = hsv(hue2 + rng.range(-0.1, 0.1), rng.range(0.05, satMax), rng.range(0.2, 0.85));
  const cell = rng.range(14, 44);
  const overlay = rng.int(0, 3);
  const amp = rng.range(6, 24);
  const stripeAngle = rng.range(0, Math.PI);
  const stripePeriod = rng.range(5, 14);
  const sa = Math.cos(stripeAngle) / stripePeriod;
  const sb = Math.sin(stripeAngle) / stripePeriod;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const n = fbm(x / cell, y / cell, seed, 3);
      const lower = split && y > horizon + waveAmp * Math.sin(2 * Math.PI * waveFreq * x);
      const p = lower ? c : a;
      const q = lower ? d : b;
      let r = p[0] + (q[0] - p[0]) * n;
      let g = p[1] + (q[1] - p[1]) * n;
      let bl = p[2] + (q[2] - p[2]) * n;
      let t: number;
      switch (overlay) {
        case 0:
          t = hash2(x, y, seed + 7) - 0.5;
          break; // grain
        case 1:
          t = valueNoise(x / 1.5, y / 9, seed + 11) - 0.5;
          break; // vertical streaks (grass, bark)
        case 2:
          t = 0.5 * Math.sin(2 * Math.PI * (x * sa + y * sb));
          break; // soft stripes (fabric, fences)
        default:
          t = fbm(x / 4, y / 4, seed + 13, 2) - 0.5;
          break; // fine blotches (gravel)
      }
      r += amp * t;
      g += amp * t;
      bl += amp * t;
      const o = (y * W + x) * 3;
      cv.data[o] = r;
      cv.data[o + 1] = g;
      cv.data[o + 2] = bl;
    }
  }
  // clutter: small lines, dots and rings of any colour, part of the background
  const items = rng.int(4, 14);
  for (let k = 0; k < items; k++) {
    const kind = rng.int(0, 2);
    const col = hsv(rng.next(), rng.range(0, muted ? MUTED_SAT : 0.9), rng.range(0.1, 1));
    const alpha = rng.range(0.35, 1);
    const x = rng.range(0, W);
    const y = rng.range(0, H);
    let shape: (px: number, py: number) => number;
    let reach: number;
    if (kind === 0) {
      const len = rng.range(6, 30);
      const ang = rng.range(0, Math.PI);
      const w = rng.range(0.5, 1.4);
      const x2 = x + len * Math.cos(ang);
      const y2 = y + len * Math.sin(ang);
      shape = (px, py) => capsule(px, py, x, y, x2, y2, w);
      reach = len + 3;
    } else if (kind === 1) {
      const rad = rng.range(1.2, 4.5);
      shape = (px, py) => circle(px, py, x, y, rad);
      reach = rad + 2;
    } else {
      const rad = rng.range(2.5, 6);
      shape = (px, py) => Math.abs(circle(px, py, x, y, rad)) - 0.7;
      reach = rad + 2;
    }
    const x0 = Math.max(0, Math.floor(x - reach));
    const x1 = Math.min(W, Math.ceil(x + reach));
    const y0 = Math.max(0, Math.floor(y - reach));
    const y1 = Math.min(H, Math.ceil(y + reach));
    for (let py = y0; py < y1; py++) {
      for (let px = x0; px < x1; px++) {
        const cov = 0.5 - shape(px + 0.5, py + 0.5);
        if (cov > 0) cv.blend(py * W + px, col, Math.min(1, cov) * alpha);
      }
    }
  }
}

function blobShape(rng: Rng): ShapeFn {
  const n = rng.int(9, 14);
  const pts = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    const a = (i / n) * Math.PI * 2;
    const r = rng.range(0.55, 1.0);
    pts[i * 2] = r * Math.cos(a);
    pts[i * 2 + 1] = r * Math.sin(a);
  }
  return (x, y) => polygon(x, y, pts);
}

function paintDistractor(cv: Canvas, rng: Rng, muted: boolean): void {
  const { W, H } = cv;
  const minDim = Math.min(W, H);
  const kind = rng.weighted([0.5, 0.25, 0.25]);
  const shape: ShapeFn = kind === 0 ? blobShape(rng) : kind === 1 ? arrowShape : (x, y) => ellipse(x, y, 0, 0, 0.95, 0.6);
  const s = rng.range(0.14, 0.32) * minDim;
  const aspect = Math.exp(rng.range(-0.3, 0.3));
  const p: Placement = { cx: rng.range(0, W), cy: rng.range(0, H), sx: s * aspect, sy: s / aspect, angle: rng.range(-Math.PI, Math.PI) };
  // vivid flat colour with a soft highlight: exactly what a saliency detector picks up; with class
  // hues a near-white or near-black one instead, as salient but no class's colour
  const col = muted
    ? hsv(rng.next(), rng.range(0, 0.15), rng.chance(0.6) ? rng.range(0.85, 1) : rng.range(0.05, 0.2))
    : hsv(rng.next(), rng.range(0.6, 1), rng.range(0.7, 1));
  const shade = rng.range(0.05, 0.25);
  const r = rasterise(shape, p, W, H);
  for (let y = 0; y < r.h; y++) {
    for (let x = 0; x < r.w; x++) {
      const c = r.cov[y * r.w + x];
      if (c <= 0) continue;
      const gx = r.x0 + x - p.cx;
      const gy = r.y0 + y - p.cy;
      const k = 1 + shade * (-(gx + gy) / (2 * s));
      cv.blend3((r.y0 + y) * W + r.x0 + x, Math.min(255, col[0] * k), Math.min(255, col[1] * k), Math.min(255, col[2] * k), c);
    }
  }
}

const HUE_JITTER = 0.012;

function pickColors(rng: Rng, lowContrast: boolean, behind: Color, classHue: number | null): [Color, Color] {
  if (lowContrast) {
    let c1: Color;
    if (classHue !== null) {
      // a faint tint of the class hue over what is behind: hard for saliency, still the class's colour
      const tint = hsv(classHue + rng.normal() * HUE_JITTER, rng.range(0.6, 1), rng.range(0.5, 0.9));
      const a = rng.range(0.35, 0.5);
      c1 = clampColor([behind[0] + (tint[0] - behind[0]) * a, behind[1] + (tint[1] - behind[1]) * a, behind[2] + (tint[2] - behind[2]) * a]);
    } else {
      // close to what is behind the object: a single saliency pass tends to miss these
      const shift = rng.range(-12, 12);
      c1 = clampColor([behind[0] + shift + rng.normal() * 5, behind[1] + shift + rng.normal() * 5, behind[2] + shift + rng.normal() * 5]);
    }
    const k = rng.range(14, 28) * (rng.chance(0.5) ? 1 : -1);
    return [c1, clampColor([c1[0] + k, c1[1] + k, c1[2] + k])];
  }
  const h = classHue === null ? rng.next() : classHue + rng.normal() * HUE_JITTER;
  const s = classHue === null ? rng.range(0.25, 1) : rng.range(0.6, 1);
  const v = classHue === null ? rng.range(0.3, 1) : rng.range(0.55, 1);
  const c1 = hsv(h, s, v);
  // a second hue would be another class's colour
  const mode = rng.int(0, classHue === null ? 2 : 1);
  const c2 =
    mode === 0
      ? hsv(h, s, v * rng.range(0.25, 0.6))
      : mode === 1
        ? hsv(h, s * 0.35, Math.min(1, v + rng.range(0.25, 0.5)))
        : hsv(h + rng.range(0.25, 0.5), s, v);
  return [c1, c2];
}

function sampleInstances(rng: Rng, primary: number, opts: ToyRenderOptions): ToyInstance[] {
  const { width: W, height: H } = opts;
  const minDim = Math.min(W, H);
  const nClasses = Math.min(1 + rng.weighted([0.4, 0.4, 0.2]), opts.maxObjects);
  const classes = [primary];
  while (classes.length < nClasses) {
    const c = rng.int(1, opts.classes ?? TOY_CLASSES.length);
    if (!classes.includes(c)) classes.push(c);
  }
  const perClass = classes.map(() => 1);
  let total = classes.length;
  for (let i = 0; i < classes.length; i++) {
    const extra = rng.weighted([0.7, 0.22, 0.08]);
    const add = Math.min(extra, opts.maxObjects - total);
    perClass[i] += add;
    total += add;
  }
  const out: ToyInstance[] = [];
  const crowd = total >= 3 ? 0.8 : 1;
  for (let i = 0; i < classes.length; i++) {
    for (let k = 0; k < perClass[i]; k++) {
      const s = rng.range(0.17, 0.42) * minDim * crowd;
      const aspect = Math.exp(rng.range(-0.35, 0.35));
      out.push({
        classId: classes[i],
        cx: rng.range(-0.05, 1.05) * W,
        cy: rng.range(-0.05, 1.05) * H,
        sx: s * aspect,
        sy: s / aspect,
        angle: rng.range(-Math.PI, Math.PI),
        lowContrast: rng.chance(opts.lowContrastRate),
        textureSeed: rng.nextU32() % 100000,
      });
    }
  }
  return rng.shuffle(out);
}

/** how often layouts had to be redrawn (for the benchmark and tests; not part of any output) */
export const layoutStats = { images: 0, attempts: 0, fallbacks: 0 };

const MIN_VISIBLE_PX = 60;
const MIN_VISIBLE_FRACTION = 0.4;
const LAYOUT_ATTEMPTS = 25;

/**
 * Render one image. `primary` is a class guaranteed to be present (the generator cycles it so every
 * class occurs in every split). Every labelled instance keeps at least 40% of its area and 60 px
 * visible outside the void band, so image-level labels never name an invisible object.
 */
export function renderToyImage(rng: Rng, primary: number, opts: ToyRenderOptions): ToyImage {
  const W = opts.width;
  const H = opts.height;
  const layoutRng = rng.fork('layout');
  let instances: ToyInstance[] = [];
  let rasters: Raster[] = [];
  let inst: Uint8Array = new Uint8Array(0);
  let band: Uint8Array = new Uint8Array(0);
  let ok = false;
  let attempt = 0;
  for (; attempt < LAYOUT_ATTEMPTS && !ok; attempt++) {
    instances = sampleInstances(layoutRng, primary, opts);
    ({ rasters, inst, band, ok } = tryLayout(instances, W, H, opts.voidWidth));
  }
  layoutStats.images++;
  layoutStats.attempts += attempt;
  if (!ok) {
    layoutStats.fallbacks++;
    // crowded draws kept failing: fall back to the primary class alone, fully inside the frame
    const s = 0.3 * Math.min(W, H);
    instances = [
      {
        classId: primary,
        cx: W / 2,
        cy: H / 2,
        sx: s,
        sy: s,
        angle: layoutRng.range(-Math.PI, Math.PI),
        lowContrast: false,
        textureSeed: layoutRng.nextU32() % 100000,
      },
    ];
    ({ rasters, inst, band } = tryLayout(instances, W, H, opts.voidWidth));
  }

  const cv = new Canvas(W, H);
  const paintRng = rng.fork('paint');
  paintBackground(cv, paintRng, opts.classHues);
  const nDistractors = paintRng.weighted(opts.distractorWeights);
  for (let k = 0; k < nDistractors; k++) paintDistractor(cv, paintRng, opts.classHues);

  instances.forEach((ins, k) => {
    const cls = TOY_CLASSES[ins.classId - 1];
    const r = rasters[k];
    const [c1, c2] = pickColors(paintRng, ins.lowContrast, cv.meanOver(r), opts.classHues ? (ins.classId - 1) / TOY_CLASSES.length : null);
    const shade = paintRng.range(0, 0.22);
    const la = paintRng.range(-Math.PI, Math.PI);
    const lx = Math.cos(la) * shade;
    const ly = Math.sin(la) * shade;
    const cos = Math.cos(ins.angle);
    const sin = Math.sin(ins.angle);
    for (let y = 0; y < r.h; y++) {
      const dy = r.y0 + y + 0.5 - ins.cy;
      for (let x = 0; x < r.w; x++) {
        const c = r.cov[y * r.w + x];
        if (c <= 0) continue;
        const dx = r.x0 + x + 0.5 - ins.cx;
        const u = (dx * cos + dy * sin) / ins.sx;
        const v = (-dx * sin + dy * cos) / ins.sy;
        const t = cls.texture(u, v, ins.textureSeed);
        const light = 1 + u * lx + v * ly;
        cv.blend3(
          (r.y0 + y) * W + r.x0 + x,
          (c1[0] + (c2[0] - c1[0]) * t) * light,
          (c1[1] + (c2[1] - c1[1]) * t) * light,
          (c1[2] + (c2[2] - c1[2]) * t) * light,
          c,
        );
      }
    }
  });

  // a little sensor noise over everything, so no region is perfectly flat
  const noiseSeed = paintRng.nextU32();
  for (let i = 0; i < W * H; i++) {
    const n = (hash2(i, 0, noiseSeed) - 0.5) * 6;
    cv.data[i * 3] += n;
    cv.data[i * 3 + 1] += n;
    cv.data[i * 3 + 2] += n;
  }

  const label = new Uint8Array(W * H);
  const fg = new Uint8Array(W * H);
  for (let i = 0; i < W * H; i++) {
    if (band[i]) {
      label[i] = VOID_LABEL;
      fg[i] = VOID_LABEL;
    } else if (inst[i]) {
      label[i] = instances[inst[i] - 1].classId;
      fg[i] = 1;
    }
  }
  const objects = instances.map((ins, k) => objectOf(ins, k + 1, inst, W, H));
  return {
    rgb: cv.toRgb(),
    label: { width: W, height: H, data: label },
    fg: { width: W, height: H, data: fg },
    objects,
    instances,
    distractors: nDistractors,
  };
}

function tryLayout(instances: ToyInstance[], W: number, H: number, voidWidth: number) {
  const rasters = instances.map((ins) => rasterise(TOY_CLASSES[ins.classId - 1].shape, ins, W, H));
  const inst = composeInstances(rasters, W, H);
  const band = voidBand(inst, W, H, voidWidth);
  const visible = new Array<number>(instances.length).fill(0);
  for (let i = 0; i < inst.length; i++) if (inst[i] && !band[i]) visible[inst[i] - 1]++;
  const ok = instances.every((ins, k) => {
    const full = unclippedArea(TOY_CLASSES[ins.classId - 1].shape, ins);
    return visible[k] >= MIN_VISIBLE_PX && visible[k] >= MIN_VISIBLE_FRACTION * full;
  });
  return { rasters, inst, band, ok };
}

function objectOf(ins: ToyInstance, id: number, inst: Uint8Array, W: number, H: number): VocObject {
  let xmin = W;
  let ymin = H;
  let xmax = -1;
  let ymax = -1;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (inst[y * W + x] !== id) continue;
      if (x < xmin) xmin = x;
      if (x > xmax) xmax = x;
      if (y < ymin) ymin = y;
      if (y > ymax) ymax = y;
    }
  }
  const truncated = xmin === 0 || ymin === 0 || xmax === W - 1 || ymax === H - 1;
  return {
    name: VOC_CLASSES[ins.classId],
    bbox: { xmin: xmin + 1, ymin: ymin + 1, xmax: xmax + 1, ymax: ymax + 1 },
    truncated,
    difficult: false,
  };
}
