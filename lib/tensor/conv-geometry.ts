// Index arithmetic for writing both conv2d gradients as *forward* convolutions, one spatial axis at
// a time. Forward convolution along one axis (cross-correlation, as in TensorFlow):
//
//   y[o] = sum_i w[i] * x[o*stride + i*dilation - padBefore]
//
// Pads returned here may be negative: a negative pad means "crop that many rows of the operand",
// which the caller does with a slice, because no backend accepts negative explicit padding.

/** One spatial axis of a forward conv2d. */
export interface AxisGeometry {
  inSize: number;
  outSize: number;
  filterSize: number;
  stride: number;
  dilation: number;
  /** padding before the first input element (top or left), as computeConv2DInfo reports it */
  padBefore: number;
}

/** One axis of a forward convolution that computes part of a gradient. */
export interface AxisConv {
  stride: number;
  dilation: number;
  padBefore: number;
  padAfter: number;
}

/**
 * Filter gradient along one axis:
 *   dw[i] = sum_o x[o*stride + i*dilation - padBefore] * dy[o]
 * read as a forward conv over x with dy as the filter, so the roles swap: the conv's stride is the
 * forward dilation and its dilation the forward stride. padAfter is chosen so that the conv yields
 * exactly filterSize outputs; when the forward pass never read the last rows of x it is negative.
 */
export function filterGradAxis(g: AxisGeometry): AxisConv {
  const effDy = (g.outSize - 1) * g.stride + 1;
  return {
    stride: g.dilation,
    dilation: g.stride,
    padBefore: g.padBefore,
    padAfter: (g.filterSize - 1) * g.dilation + effDy - g.inSize - g.padBefore,
  };
}

/** One polyphase component of the input gradient along one axis. */
export interface InputGradPhase {
  /** residue r: this phase produces the rows h with (h + padBefore) mod stride == r */
  phase: number;
  /** first filter tap of this phase (taps are firstTap, firstTap + stride, ...) */
  firstTap: number;
  /** number of taps; 0 means this phase receives no gradient (e.g. 1x1 conv with stride 2) */
  taps: number;
  conv: AxisConv;
}

/** Input gradient along one axis as `stride` stride-1 convolutions of dy whose outputs interleave. */
export interface InputGradAxisPlan {
  phases: InputGradPhase[];
  /** rows each phase produces (the same for all phases so they can be interleaved) */
  rowsPerPhase: number;
  /** after interleaving (row = q*stride + phase), input row h sits at h + cropOffset */
  cropOffset: number;
}

/**
 * Input gradient along one axis:
 *   dx[h] = sum_{i,o : o*stride + i*dilation - padBefore = h} w[i] * dy[o]
 *
 * Writing h + padBefore = q*stride + r, only taps i with i*dilation = r (mod stride) contribute, and
 * for those o = q - (i*dilation - r)/stride. With stride 1 this is a single "full" convolution of dy
 * with the flipped filter at the forward dilation. With stride s > 1 (dilation 1) it splits into s
 * phases, each a stride-1 conv of dy with the sub-filter w[r], w[r+s], ... flipped: together they do
 * the same multiply-adds as the forward pass, where zero-stuffing dy would do s^2 times as many.
 */
export function inputGradAxis(g: AxisGeometry): InputGradAxisPlan {
  if (g.stride > 1 && g.dilation > 1) {
    throw new Error(`conv2d input gradient: stride ${g.stride} with dilation ${g.dilation} is not supported (tfjs forbids it in the forward pass too)`);
  }
  const s = g.stride;
  const qMin = Math.floor(g.padBefore / s);
  const qMax = Math.floor((g.inSize - 1 + g.padBefore) / s);
  const rows = qMax - qMin + 1;
  const phases: InputGradPhase[] = [];
  for (let r = 0; r < s; r++) {
    const taps = r < g.filterSize ? Math.ceil((g.filterSize - r) / s) : 0;
    // dx_r[q] = sum_m w[r + m*s] dy[q - m*d]; flipped taps make it a correlation read from
    // dy[q - (taps-1)*d + m'*d], so output row 0 (q = qMin) starts (taps-1)*d - qMin before dy.
    const d = g.dilation;
    const padBefore = (taps - 1) * d - qMin;
    const padAfter = rows + (taps - 1) * d - g.outSize - padBefore;
    phases.push({ phase: r, firstTap: r, taps, conv: { stride: 1, dilation: d, padBefore, padAfter } });
  }
  return { phases, rowsPerPhase: rows, cropOffset: g.padBefore - qMin * s };
}
