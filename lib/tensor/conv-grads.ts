// Both conv2d gradients written as forward conv2d calls (plus transposes and slices), so that they
// run on the fastest kernel every backend has, and so that dilation > 1 (atrous) is supported on
// backends whose own backprop kernels reject it. Index derivations live in conv-geometry.ts.
//
// Everything here is plain tfjs ops: callable from a custom gradient, and from a kernel registered
// for a backend (the engine does not record ops run inside a kernel on the gradient tape).

import * as tf from '@tensorflow/tfjs';
import { type AxisConv, type AxisGeometry, filterGradAxis, inputGradAxis } from './conv-geometry.ts';
import { hasNativeTrainingKernels } from './native-kernels.ts';

export type Pair = [number, number];
export type ConvPadding = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

/** Geometry of a forward NHWC conv2d, enough to differentiate it. */
export interface ConvSpec {
  strides: Pair;
  dilations: Pair;
  pad: ConvPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export function pair(v: number | Pair): Pair {
  return typeof v === 'number' ? [v, v] : v;
}

function axes(xShape: readonly number[], filterShape: readonly number[], spec: ConvSpec): { h: AxisGeometry; w: AxisGeometry } {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    spec.strides,
    spec.dilations,
    spec.pad,
    spec.dimRoundingMode,
  );
  return {
    h: {
      inSize: info.inHeight,
      outSize: info.outHeight,
      filterSize: info.filterHeight,
      stride: info.strideHeight,
      dilation: info.dilationHeight,
      padBefore: info.padInfo.top,
    },
    w: {
      inSize: info.inWidth,
      outSize: info.outWidth,
      filterSize: info.filterWidth,
      stride: info.strideWidth,
      dilation: info.dilationWidth,
      padBefore: info.padInfo.left,
    },
  };
}

/**
 * Forward conv2d with per-side padding that may be negative (negative = crop the input first).
 * Cropping costs one slice; positive pads go to the conv kernel as explicit padding at no cost.
 */
function convWithSignedPads(x: tf.Tensor4D, filter: tf.Tensor4D, h: AxisConv, w: AxisConv): tf.Tensor4D {
  let input = x;
  const cropTop = Math.max(0, -h.padBefore);
  const cropBottom = Math.max(0, -h.padAfter);
  const cropLeft = Math.max(0, -w.padBefore);
  const cropRight = Math.max(0, -w.padAfter);
  if (cropTop + cropBottom + cropLeft + cropRight > 0) {
    const [n, rows, cols, c] = x.shape;
    input = tf.slice(x, [0, cropTop, cropLeft, 0], [n, rows - cropTop - cropBottom, cols - cropLeft - cropRight, c]);
  }
  const pad: [[number, number], [number, number], [number, number], [number, number]] = [
    [0, 0],
    [Math.max(0, h.padBefore), Math.max(0, h.padAfter)],
    [Math.max(0, w.padBefore), Math.max(0, w.padAfter)],
    [0, 0],
  ];
  const out = tf.conv2d(input, filter, [h.stride, w.stride], pad, 'NHWC', [h.dilation, w.dilation]);
  if (input !== x) input.dispose();
  return out;
}

/**
 * dL/dfilter of y = conv2d(x, filter) for any stride, dilation and padding.
 * One forward conv: x transposed to [Cin, H, W, B] is the input, dy transposed to [Ho, Wo, B, Cout]
 * is the filter; the result [Cin, kh, kw, Cout] is transposed back to [kh, kw, Cin, Cout].
 */
export function conv2dFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: readonly number[], spec: ConvSpec): tf.Tensor4D {
  return tf.tidy(() => {
    const { h, w } = axes(x.shape, filterShape, spec);
    checkDy(dy, x.shape[0], h.outSize, w.outSize, filterShape[3]);
    const xT = tf.transpose(x, [3, 1, 2, 0]);
    const dyT = tf.transpose(dy, [1, 2, 0, 3]);
    const out = convWithSignedPads(xT, dyT, filterGradAxis(h), filterGradAxis(w));
    return tf.transpose(out, [1, 2, 0, 3]);
  });
}

/**
 * dL/dx of y = conv2d(x, filter) for any stride or dilation (not both > 1) and any padding.
 * Stride 1: one forward conv of dy with the spatially flipped, in/out-transposed filter at the
 * forward dilation. Stride s > 1: s*s stride-1 convs with the sub-filters of each output phase,
 * interleaved; this does the forward pass's multiply-adds instead of s^2 times as many.
 */
export function conv2dInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, xShape: readonly number[], spec: ConvSpec): tf.Tensor4D {
  return tf.tidy(() => {
    const { h, w } = axes(xShape, filter.shape, spec);
    const [batch, inH, inW, inC] = xShape as [number, number, number, number];
    checkDy(dy, batch, h.outSize, w.outSize, filter.shape[3]);
    const planH = inputGradAxis(h);
    const planW = inputGradAxis(w);
    const [kh, kw, ,] = filter.shape;
    const rowsH = planH.rowsPerPhase;
    const rowsW = planW.rowsPerPhase;
    // One stride-1 conv per (row phase, column phase); phases[rh][rw] is [B, Qh, Qw, Cin].
    const phases: tf.Tensor4D[][] = [];
    for (const ph of planH.phases) {
      const row: tf.Tensor4D[] = [];
      for (const pw of planW.phases) {
        if (ph.taps === 0 || pw.taps === 0) {
          row.push(tf.zeros([batch, rowsH, rowsW, inC]));
          continue;
        }
        const sub =
          h.stride === 1 && w.stride === 1
            ? filter
            : (tf.stridedSlice(
                filter,
                [ph.firstTap, pw.firstTap, 0, 0],
                [kh, kw, filter.shape[2], filter.shape[3]],
                [h.stride, w.stride, 1, 1],
              ) as tf.Tensor4D);
        row.push(convWithSignedPads(dy, flipFilter(sub), ph.conv, pw.conv));
      }
      phases.push(row);
    }
    // Interleave without transposes (wasm's rank-5/6 transpose and DepthToSpace are ~20x slower than
    // its concat): stacking column phases on axis 3 puts phase rw of column q at q*sw + rw, and
    // stacking the resulting rows on axis 2 does the same for rows.
    let full: tf.Tensor4D;
    if (phases.length === 1 && phases[0].length === 1) {
      full = phases[0][0];
    } else {
      const rows = phases.map((row) => (row.length === 1 ? row[0] : (tf.reshape(tf.stack(row, 3), [batch, rowsH, rowsW * w.stride, inC]) as tf.Tensor4D)));
      full = rows.length === 1 ? rows[0] : (tf.reshape(tf.stack(rows, 2), [batch, rowsH * h.stride, rowsW * w.stride, inC]) as tf.Tensor4D);
    }
    const [, fullH, fullW] = full.shape;
    if (planH.cropOffset === 0 && planW.cropOffset === 0 && fullH === inH && fullW === inW) return full;
    return tf.slice(full, [0, planH.cropOffset, planW.cropOffset, 0], [batch, inH, inW, inC]);
  });
}

/**
 * Spatially flipped filter with in/out channels swapped: [kh, kw, Cin, Cout] -> [kh, kw, Cout, Cin],
 * out[i, j] = w[kh-1-i, kw-1-j]^T. Flipping both spatial axes reverses the flattened tap order; we do
 * that as a product with the [taps, taps] anti-diagonal 0/1 matrix, because wasm's Reverse and Gather
 * kernels are ~8x slower than this tiny matMul. The product is exact for finite weights (w*1 plus
 * zeros). On tfjs-node, TensorFlow's own reverse.
 */
function flipFilter(w: tf.Tensor4D): tf.Tensor4D {
  const [kh, kw, cin, cout] = w.shape;
  const taps = kh * kw;
  if (taps === 1) return tf.transpose(w, [0, 1, 3, 2]);
  // TensorFlow's ReverseV2 is one op there; the product below is five, each a dispatch on tfjs-node
  if (hasNativeTrainingKernels()) return tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]);
  const anti = new Float32Array(taps * taps);
  for (let k = 0; k < taps; k++) anti[k * taps + (taps - 1 - k)] = 1;
  const flipped = tf.matMul(tf.tensor2d(anti, [taps, taps]), tf.reshape(w, [taps, cin * cout]));
  return tf.reshape(tf.transpose(tf.reshape(flipped, [taps, cin, cout]), [0, 2, 1]), [kh, kw, cout, cin]);
}

function checkDy(dy: tf.Tensor4D, batch: number, outH: number, outW: number, outC: number): void {
  const [b, hh, ww, c] = dy.shape;
  if (b !== batch || hh !== outH || ww !== outW || c !== outC) {
    throw new Error(`conv2d gradient: dy has shape [${dy.shape}], expected [${batch},${outH},${outW},${outC}]`);
  }
}
