// Kernels for the TensorFlow backend (tfjs-node / tfjs-node-gpu), each one TensorFlow op:
// - ReluGrad: tfjs differentiates relu as dy * step(x), which tfjs-node runs as six TensorFlow ops
//   (its Step is IsNan, Greater, Fill, Select; then a cast and the multiply).
// - ResizeBilinearGrad: tfjs-node 4.22's registration drops halfPixelCenters, so that gradient came
//   out wrong (test/tensor/wasm-kernels.test.ts); TensorFlow's op takes the flag.
// Registered when the tfjs-node backend starts (backend.ts); relu's gradient asks
// hasNativeTrainingKernels() at call time, so the same model code runs on every backend. Dilated convs need nothing here: TensorFlow's CPU backprop kernels reject dilation > 1
// ("Current CPU implementations do not yet support dilation rates larger than 1"), so atrous.ts
// goes through space-to-batch on this backend, as TensorFlow's own atrous_conv2d does.

import * as tf from '@tensorflow/tfjs';

interface OpAttr {
  name: string;
  type: number;
  value: unknown;
}

/** The part of tfjs-node's NodeJSKernelBackend used here. */
interface NativeBackend {
  binding: { TF_ATTR_TYPE: number; TF_ATTR_BOOL: number; TF_FLOAT: number };
  executeSingleOutput(name: string, attrs: OpAttr[], inputs: tf.TensorInfo[]): tf.TensorInfo;
}

export const NATIVE_BACKEND = 'tensorflow';
export const RELU_GRAD = 'DcspReluGrad';

const RELU_GRAD_KERNEL: tf.KernelConfig = {
  kernelName: RELU_GRAD,
  backendName: NATIVE_BACKEND,
  kernelFunc: ({ inputs, backend }) => {
    const b = backend as unknown as NativeBackend;
    const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
    return b.executeSingleOutput('ReluGrad', [{ name: 'T', type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT }], [dy, x]);
  },
};

const RESIZE_BILINEAR_GRAD_KERNEL: tf.KernelConfig = {
  kernelName: 'ResizeBilinearGrad',
  backendName: NATIVE_BACKEND,
  kernelFunc: ({ inputs, backend, attrs }) => {
    const b = backend as unknown as NativeBackend;
    const { images, dy } = inputs as { images: tf.TensorInfo; dy: tf.TensorInfo };
    const { alignCorners, halfPixelCenters } = attrs as { alignCorners: boolean; halfPixelCenters: boolean };
    return b.executeSingleOutput('ResizeBilinearGrad', [
      { name: 'T', type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT },
      { name: 'align_corners', type: b.binding.TF_ATTR_BOOL, value: alignCorners },
      { name: 'half_pixel_centers', type: b.binding.TF_ATTR_BOOL, value: halfPixelCenters },
    ], [dy, images]);
  },
};

let registered = false;

/**
 * Register the kernels above and route relu's gradient through ReluGrad on this backend (other
 * backends keep tfjs's own formula, called as before). Idempotent.
 */
export function registerNativeTrainingKernels(): void {
  if (registered) return;
  const shipped = tf.getGradient('Relu');
  if (shipped === undefined) throw new Error('tfjs has no gradient registered for Relu');
  tf.registerKernel(RELU_GRAD_KERNEL);
  if (tf.getKernel('ResizeBilinearGrad', NATIVE_BACKEND) !== undefined) tf.unregisterKernel('ResizeBilinearGrad', NATIVE_BACKEND);
  tf.registerKernel(RESIZE_BILINEAR_GRAD_KERNEL);
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      if (!hasNativeTrainingKernels() || (dy as tf.Tensor).dtype !== 'float32') return shipped.gradFunc(dy, saved, attrs);
      const [x] = saved;
      return { x: () => tf.engine().runKernel(RELU_GRAD, { dy: dy as tf.Tensor, x }) as tf.Tensor };
    },
  });
  registered = true;
}

/** Whether the active backend is TensorFlow with the gradients above registered. */
export function hasNativeTrainingKernels(): boolean {
  return registered && tf.getBackend() === NATIVE_BACKEND;
}
