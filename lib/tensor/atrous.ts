// Convolution that can be differentiated at any dilation rate on every backend. tfjs-core refuses
// the gradient of conv2d when dilation > 1, so dilated convs get a custom gradient: TensorFlow's own
// backprop ops where the tfjs-node backend has them (native-kernels.ts), otherwise two forward
// convolutions (conv-grads.ts); the forward uses the kernel's native dilation, which on wasm costs
// about the same as an undilated conv (space-to-batch costs ~2.5x).

import * as tf from '@tensorflow/tfjs';
import { conv2dFilterGrad, conv2dInputGrad, type ConvSpec } from './conv-grads.ts';
import { DILATED_FILTER_GRAD, DILATED_INPUT_GRAD, hasNativeDilatedConvGrads } from './native-kernels.ts';

export type Padding = 'same' | 'valid';

const cache = new Map<string, (x: tf.Tensor4D, filter: tf.Tensor4D) => tf.Tensor4D>();

function dilatedConv(rate: number, padding: Padding): (x: tf.Tensor4D, filter: tf.Tensor4D) => tf.Tensor4D {
  const key = `${rate}|${padding}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const spec: ConvSpec = { strides: [1, 1], dilations: [rate, rate], pad: padding };
  const fn = tf.customGrad(((x: tf.Tensor4D, filter: tf.Tensor4D, save: tf.GradSaveFunc) => {
    save([x, filter]);
    return {
      value: tf.conv2d(x, filter, 1, padding, 'NHWC', rate),
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [sx, sf] = saved as [tf.Tensor4D, tf.Tensor4D];
        if (hasNativeDilatedConvGrads()) {
          const attrs = (shape: number[]) => ({ rate, padding, shape }) as unknown as tf.NamedAttrMap;
          return [
            tf.engine().runKernel(DILATED_INPUT_GRAD, { filter: sf, dy }, attrs(sx.shape)) as tf.Tensor4D,
            tf.engine().runKernel(DILATED_FILTER_GRAD, { x: sx, dy }, attrs(sf.shape)) as tf.Tensor4D,
          ];
        }
        return [conv2dInputGrad(dy, sf, sx.shape, spec), conv2dFilterGrad(sx, dy, sf.shape, spec)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor4D, filter: tf.Tensor4D) => tf.Tensor4D;
  cache.set(key, fn);
  return fn;
}

/**
 * Atrous (dilated) 3-D-filter convolution, stride 1, NHWC, filter [kh, kw, Cin, Cout], with
 * gradients for both x and filter at any rate. rate 1 is a plain tf.conv2d.
 */
export function atrousConv2d(x: tf.Tensor4D, filter: tf.Tensor4D, rate: number, padding: Padding): tf.Tensor4D {
  if (!Number.isInteger(rate) || rate < 1) throw new Error(`atrousConv2d: rate must be a positive integer (got ${rate})`);
  if (rate === 1) return tf.conv2d(x, filter, 1, padding);
  return dilatedConv(rate, padding)(x, filter);
}

export interface Conv2dOptions {
  stride?: number;
  /** dilation (atrous rate); > 1 requires stride 1, as in tfjs */
  dilation?: number;
  padding?: Padding;
  /** added per output channel */
  bias?: tf.Tensor1D;
}

/**
 * The conv2d models should call: NHWC, differentiable at every stride and dilation. Strided convs
 * use tfjs's conv2d (whose gradient kernels we replace on wasm), dilated ones atrousConv2d.
 */
export function conv2d(x: tf.Tensor4D, filter: tf.Tensor4D, opts: Conv2dOptions = {}): tf.Tensor4D {
  const stride = opts.stride ?? 1;
  const dilation = opts.dilation ?? 1;
  const padding = opts.padding ?? 'same';
  if (stride > 1 && dilation > 1) throw new Error(`conv2d: stride ${stride} and dilation ${dilation} cannot both exceed 1`);
  const y = dilation > 1 ? atrousConv2d(x, filter, dilation, padding) : tf.conv2d(x, filter, stride, padding);
  // Intermediates are freed by the caller's tidy (tf.variableGrads runs the forward in one).
  return opts.bias === undefined ? y : tf.add(y, opts.bias);
}
