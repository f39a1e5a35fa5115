// The 20 toy object classes. Each class is a shape family (a signed distance function in a local
// frame where the object spans roughly [-1, 1]) plus a texture of its own drawn in that same frame,
// so the texture rotates and scales with the object. Colour, scale, rotation and aspect are chosen
// per instance by the renderer; only outline and texture identify the class.

import { box, capsule, circle, ellipse, polygon, subtract } from './sdf.ts';
import { fbm, hash2, valueNoise } from './noise.ts';

export type ShapeFn = (x: number, y: number) => number;
/** texture value in [0, 1] at local (u, v); `seed` varies the phase per instance */
export type TextureFn = (u: number, v: number, seed: number) => number;

export interface ToyClass {
  id: number;
  /** what the shape looks like, for documentation and debugging */
  shapeName: string;
  textureName: string;
  shape: ShapeFn;
  texture: TextureFn;
}

const TAU = Math.PI * 2;

/** soft square wave of phase s (cycles): 0/1 plateaus with a short linear ramp, anti-aliased */
function square(s: number): number {
  const w = Math.sin(TAU * s);
  return Math.max(0, Math.min(1, 0.5 + 2.5 * w));
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

function fract(x: number): number {
  return x - Math.floor(x);
}

function off(seed: number): number {
  return (seed % 1000) / 1000;
}

// Polygons are written for the right half (x >= 0) of symmetric shapes and mirrored with |x| or |y|.
const PLANE_WING = [0.2, 0.05, -0.25, 0.95, -0.45, 0.95, -0.2, 0.05];
const PLANE_TAIL = [-0.6, 0.0, -0.85, 0.42, -1.0, 0.42, -0.92, 0.0];
const BOAT_HULL = [-0.95, 0.15, 0.95, 0.15, 0.6, 0.62, -0.6, 0.62];
const BOAT_SAIL = [-0.08, 0.08, -0.08, -0.95, 0.7, 0.08];
const CAR_CABIN = [-0.5, -0.12, 0.45, -0.12, 0.22, -0.62, -0.32, -0.62];
const CAT_EAR = [0.22, -0.35, 0.66, -0.05, 0.6, -0.95];
const PERSON_BODY = [-0.32, -0.38, 0.32, -0.38, 0.5, 0.95, -0.5, 0.95];
const POT = [-0.42, 0.3, 0.42, 0.3, 0.3, 0.95, -0.3, 0.95];
const ARROW = [-0.95, -0.2, 0.2, -0.2, 0.2, -0.6, 0.95, 0.0, 0.2, 0.6, 0.2, 0.2, -0.95, 0.2];

export const TOY_CLASSES: readonly ToyClass[] = [
  {
    id: 1,
    shapeName: 'plane silhouette (fuselage, swept wings, tail)',
    textureName: 'lengthwise stripes',
    shape: (x, y) => {
      const ay = Math.abs(y);
      return Math.min(capsule(x, y, -0.9, 0, 0.9, 0, 0.15), polygon(x, ay, PLANE_WING), polygon(x, ay, PLANE_TAIL));
    },
    texture: (_u, v, s) => square(v * 3.2 + off(s)),
  },
  {
    id: 2,
    shapeName: 'two rings joined by a frame',
    textureName: 'fine checker',
    shape: (x, y) => {
      const rings = Math.min(Math.abs(circle(x, y, -0.55, 0.25, 0.38)) - 0.09, Math.abs(circle(x, y, 0.55, 0.25, 0.38)) - 0.09);
      const frame = Math.min(
        capsule(x, y, -0.55, 0.25, 0.0, -0.35, 0.08),
        capsule(x, y, 0.0, -0.35, 0.55, 0.25, 0.08),
        capsule(x, y, -0.55, 0.25, 0.55, 0.25, 0.07),
      );
      return Math.min(rings, frame);
    },
    texture: (u, v, s) => clamp01(0.5 + 3 * Math.sin(TAU * (u * 3 + off(s))) * Math.sin(TAU * v * 3)),
  },
  {
    id: 3,
    shapeName: 'crescent',
    textureName: 'polka dots',
    shape: (x, y) => subtract(circle(x, y, 0, 0, 0.9), circle(x, y, 0.38, -0.22, 0.72)),
    texture: (u, v, s) => {
      const gx = fract(u * 2.6 + off(s)) - 0.5;
      const gy = fract(v * 2.6) - 0.5;
      return clamp01((0.28 - Math.hypot(gx, gy)) * 12 + 0.5);
    },
  },
  {
    id: 4,
    shapeName: 'hull with a triangular sail',
    textureName: 'wavy bands',
    shape: (x, y) => Math.min(polygon(x, y, BOAT_HULL), polygon(x, y, BOAT_SAIL)),
    texture: (u, v, s) => square(v * 2.8 + 0.25 * Math.sin(TAU * u * 1.5) + off(s)),
  },
  {
    id: 5,
    shapeName: 'bottle (body, neck, cap)',
    textureName: 'label band over a vertical gradient',
    shape: (x, y) => Math.min(box(x, y, 0, 0.28, 0.36, 0.64, 0.16), box(x, y, 0, -0.55, 0.13, 0.4, 0.04), box(x, y, 0, -0.92, 0.17, 0.07)),
    texture: (u, v) => (Math.abs(v - 0.25) < 0.22 ? 1 : clamp01(0.5 - 0.5 * u)),
  },
  {
    id: 6,
    shapeName: 'long box on small wheels',
    textureName: 'window grid',
    shape: (x, y) => Math.min(box(x, y, 0, -0.05, 0.95, 0.48, 0.12), circle(x, y, -0.58, 0.45, 0.17), circle(x, y, 0.58, 0.45, 0.17)),
    texture: (u, v) => {
      const inRow = v > -0.38 && v < -0.02;
      const wx = fract(u * 2.4 + 0.5);
      return inRow && wx > 0.18 && wx < 0.82 ? 1 : v > 0.2 ? 0.35 : 0;
    },
  },
  {
    id: 7,
    shapeName: 'car (body, cabin, two wheels)',
    textureName: 'diagonal stripes',
    shape: (x, y) => Math.min(box(x, y, 0, 0.12, 0.95, 0.28, 0.1), polygon(x, y, CAR_CABIN), circle(x, y, -0.55, 0.42, 0.21), circle(x, y, 0.55, 0.42, 0.21)),
    texture: (u, v, s) => square((u + v) * 2.2 + off(s)),
  },
  {
    id: 8,
    shapeName: 'round head with two ears',
    textureName: 'concentric rings',
    shape: (x, y) => Math.min(circle(x, y, 0, 0.12, 0.72), polygon(Math.abs(x), y, CAT_EAR)),
    texture: (u, v, s) => square(Math.hypot(u, v - 0.12) * 3.4 + off(s)),
  },
  {
    id: 9,
    shapeName: 'chair (back, seat, legs)',
    textureName: 'crosshatch',
    shape: (x, y) =>
      Math.min(box(x, y, -0.45, -0.38, 0.12, 0.58), box(x, y, 0.02, 0.18, 0.58, 0.1), box(x, y, -0.45, 0.6, 0.08, 0.38), box(x, y, 0.5, 0.6, 0.08, 0.38)),
    texture: (u, v) => Math.max(square((u + v) * 3 + 0.25) * square((u - v) * 3 + 0.25), 0),
  },
  {
    id: 10,
    shapeName: 'four-legged body with a head',
    textureName: 'cow blotches',
    shape: (x, y) =>
      Math.min(
        ellipse(x, y, -0.05, -0.1, 0.72, 0.38),
        circle(x, y, 0.78, -0.38, 0.22),
        box(x, y, -0.5, 0.45, 0.08, 0.35),
        box(x, y, -0.25, 0.45, 0.08, 0.35),
        box(x, y, 0.2, 0.45, 0.08, 0.35),
        box(x, y, 0.45, 0.45, 0.08, 0.35),
      ),
    texture: (u, v, s) => clamp01((valueNoise(u * 2.2 + 10, v * 2.2, s) - 0.5) * 8 + 0.5),
  },
  {
    id: 11,
    shapeName: 'table (wide top, two legs)',
    textureName: 'wood grain',
    shape: (x, y) => Math.min(box(x, y, 0, -0.35, 0.95, 0.13, 0.03), box(x, y, -0.72, 0.3, 0.08, 0.55), box(x, y, 0.72, 0.3, 0.08, 0.55)),
    texture: (u, v, s) => square(v * 3 + 0.6 * fbm(u * 1.5, v * 3, s, 2)),
  },
  {
    id: 12,
    shapeName: 'bone',
    textureName: 'coarse speckle',
    shape: (x, y) =>
      Math.min(
        capsule(x, y, -0.62, 0, 0.62, 0, 0.17),
        circle(x, y, -0.72, -0.22, 0.22),
        circle(x, y, -0.72, 0.22, 0.22),
        circle(x, y, 0.72, -0.22, 0.22),
        circle(x, y, 0.72, 0.22, 0.22),
      ),
    texture: (u, v, s) => (hash2(Math.floor(u * 6 + 50), Math.floor(v * 6 + 50), s) > 0.55 ? 1 : 0),
  },
  {
    id: 13,
    shapeName: 'horseshoe arch',
    textureName: 'radial spokes',
    shape: (x, y) => Math.max(Math.abs(circle(x, y, 0, 0.05, 0.68)) - 0.22, y - 0.55),
    texture: (u, v, s) => square((Math.atan2(v - 0.05, u) / TAU) * 12 + off(s)),
  },
  {
    id: 14,
    shapeName: 'gear with a hub hole',
    textureName: 'zigzag',
    shape: (x, y) => {
      const r = Math.hypot(x, y);
      const a = Math.atan2(y, x);
      const tooth = Math.max(0, Math.min(1, 3 * Math.cos(8 * a)));
      return subtract(r - (0.68 + 0.24 * tooth), circle(x, y, 0, 0, 0.22));
    },
    texture: (u, v, s) => {
      const tri = Math.abs(fract(u * 2.5 + off(s)) - 0.5) * 2;
      return square(v * 2.5 + tri * 0.8);
    },
  },
  {
    id: 15,
    shapeName: 'head on a tapered body',
    textureName: 'fish scales',
    shape: (x, y) => Math.min(circle(x, y, 0, -0.7, 0.27), polygon(x, y, PERSON_BODY)),
    texture: (u, v) => {
      const row = Math.floor(v * 3.5);
      const cx = fract(u * 3.5 + (row & 1) * 0.5) - 0.5;
      const cy = fract(v * 3.5) - 0.1;
      return Math.abs(Math.hypot(cx, cy) - 0.45) < 0.1 ? 1 : 0;
    },
  },
  {
    id: 16,
    shapeName: 'pot with a three-leaf clover',
    textureName: 'leaf veins',
    shape: (x, y) =>
      Math.min(polygon(x, y, POT), box(x, y, 0, 0.05, 0.06, 0.3), circle(x, y, 0, -0.6, 0.3), circle(x, y, -0.36, -0.22, 0.3), circle(x, y, 0.36, -0.22, 0.3)),
    texture: (u, v, s) => (v > 0.3 ? 0.15 : square(Math.abs(u) * 3.5 - v * 2.5 + off(s))),
  },
  {
    id: 17,
    shapeName: 'cloud of circles',
    textureName: 'little curls',
    shape: (x, y) =>
      Math.min(
        circle(x, y, 0, 0, 0.5),
        circle(x, y, -0.52, 0.12, 0.4),
        circle(x, y, 0.52, 0.12, 0.4),
        circle(x, y, -0.25, -0.38, 0.38),
        circle(x, y, 0.27, -0.36, 0.38),
        circle(x, y, 0, 0.35, 0.38),
      ),
    texture: (u, v) => {
      const cx = fract(u * 3.2) - 0.5;
      const cy = fract(v * 3.2) - 0.5;
      return Math.abs(Math.hypot(cx, cy) - 0.28) < 0.1 ? 1 : 0;
    },
  },
  {
    id: 18,
    shapeName: 'U-shaped couch',
    textureName: 'thick horizontal bands',
    shape: (x, y) => Math.min(box(x, y, 0, 0.42, 0.95, 0.3, 0.08), box(x, y, -0.8, 0.0, 0.16, 0.62, 0.08), box(x, y, 0.8, 0.0, 0.16, 0.62, 0.08)),
    texture: (_u, v, s) => square(v * 1.6 + off(s)),
  },
  {
    id: 19,
    shapeName: 'three wagons on a bar',
    textureName: 'large checker',
    shape: (x, y) =>
      Math.min(box(x, y, -0.66, 0, 0.27, 0.36, 0.05), box(x, y, 0, 0, 0.27, 0.36, 0.05), box(x, y, 0.66, 0, 0.27, 0.36, 0.05), box(x, y, 0, 0.12, 0.95, 0.05)),
    texture: (u, v) => clamp01(0.5 + 3 * Math.sin(TAU * u * 1.4) * Math.sin(TAU * v * 1.4)),
  },
  {
    id: 20,
    shapeName: 'screen on a stand',
    textureName: 'dark frame, scanlines inside',
    shape: (x, y) => Math.min(box(x, y, 0, -0.18, 0.9, 0.6, 0.04), box(x, y, 0, 0.55, 0.08, 0.2), box(x, y, 0, 0.8, 0.42, 0.08)),
    texture: (u, v) => (Math.abs(u) < 0.75 && v > -0.66 && v < 0.3 ? 0.35 + 0.65 * square(v * 6) : 0),
  },
];

/** A non-class outline used for distractors: an arrow, never one of the 20 families. */
export function arrowShape(x: number, y: number): number {
  return polygon(x, y, ARROW);
}
