// Multiply-adds of a computation, read from the kernels tfjs ran (tf.profile): convolutions, their
// gradients and matrix products, which are nearly all of a network's arithmetic. Element-wise
// kernels are left out (a few percent). From these doctor prints each stage's TFLOPs and predicts
// how long a measurement will take before making it.

/** The part of a tf.profile kernel record read here. */
export interface KernelShapes {
  name: string;
  inputShapes: number[][];
  outputShapes: number[][];
}

const prod = (s: readonly number[] | undefined): number => (s ?? []).reduce((a, b) => a * b, 1);

/** Multiply-adds of one kernel call; 0 for kernels that are not products. */
export function kernelMacs(k: KernelShapes): number {
  const [a, b] = k.inputShapes;
  const out = k.outputShapes[0];
  switch (k.name) {
    case 'Conv2D':
    case 'FusedConv2D':
      // out: [B, h, w, cout]; filter [kh, kw, cin, cout]
      return prod(out) * prod(b?.slice(0, 3));
    case 'DepthwiseConv2dNative':
    case 'FusedDepthwiseConv2D':
      return prod(out) * prod(b?.slice(0, 2));
    case 'Conv2DBackpropInput':
      // inputs: dy [B, h, w, cout], filter [kh, kw, cin, cout]
      return prod(a) * prod(b?.slice(0, 3));
    case 'Conv2DBackpropFilter':
      // inputs: x, dy; output: the filter [kh, kw, cin, cout]
      return prod(b) * prod(out?.slice(0, 3));
    case 'MatMul':
    case 'BatchMatMul':
    case '_FusedMatMul': {
      // out [..., m, n]: each of its elements sums over the shared dimension k = |a| / (|out| / n)
      const n = out?.[out.length - 1] ?? 1;
      const rows = prod(out) / Math.max(1, n);
      return prod(out) * (prod(a) / Math.max(1, rows));
    }
    default:
      return 0;
  }
}

export function totalMacs(kernels: readonly KernelShapes[]): number {
  return kernels.reduce((s, k) => s + kernelMacs(k), 0);
}
