// Float64 reference convolution and its two gradients, by the definition (naive loops), used as
// the ground truth the fast tensor versions are checked against. NHWC, filter [kh, kw, Cin, Cout].

export interface RefConv {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  kh: number;
  kw: number;
  outC: number;
  strides: [number, number];
  dilations: [number, number];
  /** top and left padding, as computeConv2DInfo reports them */
  padTop: number;
  padLeft: number;
  outH: number;
  outW: number;
}

function each(c: RefConv, f: (b: number, y: number, x: number, i: number, j: number, iy: number, ix: number) => void): void {
  for (let b = 0; b < c.batch; b++) {
    for (let y = 0; y < c.outH; y++) {
      for (let x = 0; x < c.outW; x++) {
        for (let i = 0; i < c.kh; i++) {
          const iy = y * c.strides[0] + i * c.dilations[0] - c.padTop;
          if (iy < 0 || iy >= c.inH) continue;
          for (let j = 0; j < c.kw; j++) {
            const ix = x * c.strides[1] + j * c.dilations[1] - c.padLeft;
            if (ix < 0 || ix >= c.inW) continue;
            f(b, y, x, i, j, iy, ix);
          }
        }
      }
    }
  }
}

export function refConvForward(c: RefConv, x: Float32Array, w: Float32Array): Float64Array {
  const out = new Float64Array(c.batch * c.outH * c.outW * c.outC);
  each(c, (b, y, xx, i, j, iy, ix) => {
    const xo = ((b * c.inH + iy) * c.inW + ix) * c.inC;
    const yo = ((b * c.outH + y) * c.outW + xx) * c.outC;
    for (let ci = 0; ci < c.inC; ci++) {
      const wo = ((i * c.kw + j) * c.inC + ci) * c.outC;
      for (let co = 0; co < c.outC; co++) out[yo + co] += x[xo + ci] * w[wo + co];
    }
  });
  return out;
}

export function refConvFilterGrad(c: RefConv, x: Float32Array, dy: Float32Array): Float64Array {
  const dw = new Float64Array(c.kh * c.kw * c.inC * c.outC);
  each(c, (b, y, xx, i, j, iy, ix) => {
    const xo = ((b * c.inH + iy) * c.inW + ix) * c.inC;
    const yo = ((b * c.outH + y) * c.outW + xx) * c.outC;
    for (let ci = 0; ci < c.inC; ci++) {
      const wo = ((i * c.kw + j) * c.inC + ci) * c.outC;
      for (let co = 0; co < c.outC; co++) dw[wo + co] += x[xo + ci] * dy[yo + co];
    }
  });
  return dw;
}

export function refConvInputGrad(c: RefConv, w: Float32Array, dy: Float32Array): Float64Array {
  const dx = new Float64Array(c.batch * c.inH * c.inW * c.inC);
  each(c, (b, y, xx, i, j, iy, ix) => {
    const xo = ((b * c.inH + iy) * c.inW + ix) * c.inC;
    const yo = ((b * c.outH + y) * c.outW + xx) * c.outC;
    for (let ci = 0; ci < c.inC; ci++) {
      const wo = ((i * c.kw + j) * c.inC + ci) * c.outC;
      let acc = 0;
      for (let co = 0; co < c.outC; co++) acc += w[wo + co] * dy[yo + co];
      dx[xo + ci] += acc;
    }
  });
  return dx;
}

/** max|a - b| / max(max|b|, 1e-6): error relative to the reference's scale, not per element. */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let maxDiff = 0;
  let maxRef = 0;
  for (let k = 0; k < a.length; k++) {
    maxDiff = Math.max(maxDiff, Math.abs(a[k] - b[k]));
    maxRef = Math.max(maxRef, Math.abs(b[k]));
  }
  return maxDiff / Math.max(maxRef, 1e-6);
}
