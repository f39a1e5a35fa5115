// A small DeepLab-shaped network used to measure and test training on a backend: strided conv,
// plain convs, max-pool, two atrous convs, a 1x1 classifier. Shared by test/tensor and
// bench/train-step.ts so both exercise the same graph.
//
//   conv 3x3 3->32 stride 2 + ReLU; conv 3x3 32->64 + ReLU; max-pool 2x2 stride 2;
//   conv 3x3 64->64 + ReLU; atrous 3x3 64->128 rate 2 + ReLU; atrous 3x3 128->128 rate 2 + ReLU;
//   conv 1x1 128->21.   Loss: mean of squared outputs.

import * as tf from '@tensorflow/tfjs';
import { conv2d } from './atrous.ts';
import { deriveSeed, heNormalFilter } from './random.ts';

interface LayerSpec {
  name: string;
  k: number;
  cin: number;
  cout: number;
  stride: number;
  dilation: number;
  relu: boolean;
  poolAfter: boolean;
}

const LAYERS: LayerSpec[] = [
  { name: 'conv1', k: 3, cin: 3, cout: 32, stride: 2, dilation: 1, relu: true, poolAfter: false },
  { name: 'conv2', k: 3, cin: 32, cout: 64, stride: 1, dilation: 1, relu: true, poolAfter: true },
  { name: 'conv3', k: 3, cin: 64, cout: 64, stride: 1, dilation: 1, relu: true, poolAfter: false },
  { name: 'atrous1', k: 3, cin: 64, cout: 128, stride: 1, dilation: 2, relu: true, poolAfter: false },
  { name: 'atrous2', k: 3, cin: 128, cout: 128, stride: 1, dilation: 2, relu: true, poolAfter: false },
  { name: 'classifier', k: 1, cin: 128, cout: 21, stride: 1, dilation: 1, relu: false, poolAfter: false },
];

export interface ReferenceNet {
  /** '<layer>/kernel' and '<layer>/bias' */
  variables: Record<string, tf.Variable>;
  forward(x: tf.Tensor4D): tf.Tensor4D;
  loss(x: tf.Tensor4D): tf.Scalar;
  dispose(): void;
}

let instance = 0;

/** Build the network with He-normal kernels and zero biases drawn from `seed` (same on every backend). */
export function createReferenceNet(seed: number): ReferenceNet {
  instance += 1;
  const variables: Record<string, tf.Variable> = {};
  LAYERS.forEach((l, i) => {
    variables[`${l.name}/kernel`] = tf.variable(heNormalFilter([l.k, l.k, l.cin, l.cout], deriveSeed(seed, i)), true, `refnet${instance}/${l.name}/kernel`);
    variables[`${l.name}/bias`] = tf.variable(tf.zeros([l.cout]), true, `refnet${instance}/${l.name}/bias`);
  });
  const forward = (x: tf.Tensor4D): tf.Tensor4D =>
    tf.tidy(() => {
      let h = x;
      for (const l of LAYERS) {
        h = conv2d(h, variables[`${l.name}/kernel`] as tf.Tensor4D, {
          stride: l.stride,
          dilation: l.dilation,
          padding: 'same',
          bias: variables[`${l.name}/bias`] as tf.Tensor1D,
        });
        if (l.relu) h = tf.relu(h);
        if (l.poolAfter) h = tf.maxPool(h, 2, 2, 'same');
      }
      return h;
    });
  return {
    variables,
    forward,
    loss: (x) => tf.tidy(() => tf.mean(tf.square(forward(x)))),
    dispose: () => tf.dispose(Object.values(variables)),
  };
}

/** Multiply-accumulates of one forward pass, for GMAC/s figures. */
export function referenceNetMacs(batch: number, size: number): number {
  let h = size;
  let macs = 0;
  for (const l of LAYERS) {
    h = Math.ceil(h / l.stride);
    macs += batch * h * h * l.k * l.k * l.cin * l.cout;
    if (l.poolAfter) h = Math.ceil(h / 2);
  }
  return macs;
}
