// sRGB -> CIE Lab (D65). Colour distances in the boundary detector are Euclidean in Lab, where the
// paper's sigma (10) is expressed.

export interface LabPlanes {
  L: Float32Array;
  a: Float32Array;
  b: Float32Array;
}

const XN = 0.95047;
const ZN = 1.08883;
const EPS = 216 / 24389;
const KAPPA = 24389 / 27;

function srgbToLinear(v: number): number {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

function labF(t: number): number {
  return t > EPS ? Math.cbrt(t) : (KAPPA * t + 16) / 116;
}

// A 1024-entry table over 0..255 keeps the conversion cheap for float inputs (after resampling) with
// an error far below the colour differences that matter here (< 0.05 Lab units).
const LIN_STEPS = 1024;
const linTable = new Float32Array(LIN_STEPS + 1);
for (let i = 0; i <= LIN_STEPS; i++) linTable[i] = srgbToLinear((i * 255) / LIN_STEPS);

function linearLookup(v: number): number {
  let x = (v / 255) * LIN_STEPS;
  if (x <= 0) return 0;
  if (x >= LIN_STEPS) return 1;
  const i = x | 0;
  x -= i;
  return linTable[i] + (linTable[i + 1] - linTable[i]) * x;
}

/** Interleaved RGB (0..255, any numeric array) to planar Lab. */
export function rgbToLab(rgb: ArrayLike<number>, pixels: number): LabPlanes {
  const L = new Float32Array(pixels);
  const a = new Float32Array(pixels);
  const b = new Float32Array(pixels);
  for (let i = 0; i < pixels; i++) {
    const r = linearLookup(rgb[3 * i]);
    const g = linearLookup(rgb[3 * i + 1]);
    const bl = linearLookup(rgb[3 * i + 2]);
    const x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * bl) / XN;
    const y = 0.2126729 * r + 0.7151522 * g + 0.072175 * bl;
    const z = (0.0193339 * r + 0.119192 * g + 0.9503041 * bl) / ZN;
    const fx = labF(x);
    const fy = labF(y);
    const fz = labF(z);
    L[i] = 116 * fy - 16;
    a[i] = 500 * (fx - fy);
    b[i] = 200 * (fy - fz);
  }
  return { L, a, b };
}
