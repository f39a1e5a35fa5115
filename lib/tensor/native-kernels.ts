// Kernels for the TensorFlow backend (tfjs-node / tfjs-node-gpu), each one TensorFlow op:
// - ReluGrad: tfjs differentiates relu as dy * step(x), which tfjs-node runs as six TensorFlow ops
//   (its Step is IsNan, Greater, Fill, Select; then a cast and the multiply).
// - ResizeBilinearGrad: tfjs-node 4.22's registration drops halfPixelCenters, so that gradient came
//   out wrong (test/tensor/wasm-kernels.test.ts); TensorFlow's op takes the flag.
// - Conv2DBackpropFilter / Conv2DBackpropInput at dilation > 1 (the atrous convs' gradients): tfjs
//   passes no dilation to them, so atrous.ts differentiates dilated convs itself, as forward convs
//   plus transposes (conv-grads.ts, what wasm needs). TensorFlow has the kernels wherever its
//   oneDNN CPU kernels (the default of x86 wheels) or cuDNN run; its plain Eigen CPU kernels reject
//   dilation ("Current CPU implementations do not yet support dilation rates larger than 1").
//   Whether this libtensorflow has them is tried once, on a tiny conv, when the backend starts;
//   without them atrous.ts keeps its own gradients.
// Registered when the tfjs-node backend starts (backend.ts); the gradients ask
// hasNativeTrainingKernels() / hasNativeDilatedConvGrads() at call time, so the same model code
// runs on every backend.

import * as tf from '@tensorflow/tfjs';

interface OpAttr {
  name: string;
  type: number;
  value: unknown;
}

/** The part of tfjs-node's NodeJSKernelBackend used here. */
interface NativeBackend {
  binding: { TF_ATTR_TYPE: number; TF_ATTR_BOOL: number; TF_ATTR_INT: number; TF_ATTR_STRING: number; TF_FLOAT: number };
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
    return b.executeSingleOutput(
      'ResizeBilinearGrad',
      [
        { name: 'T', type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT },
        { name: 'align_corners', type: b.binding.TF_ATTR_BOOL, value: alignCorners },
        { name: 'half_pixel_centers', type: b.binding.TF_ATTR_BOOL, value: halfPixelCenters },
      ],
      [dy, images],
    );
  },
};

export const DILATED_FILTER_GRAD = 'DcspDilatedConv2DBackpropFilter';
export const DILATED_INPUT_GRAD = 'DcspDilatedConv2DBackpropInput';

/** What a dilated conv's gradient kernels take: the forward's geometry (stride 1, NHWC). */
export interface DilatedConvAttrs {
  rate: number;
  padding: 'same' | 'valid';
  /** the filter's shape (filter gradient) or the input's (input gradient) */
  shape: number[];
}

function convAttrs(b: NativeBackend, rate: number, padding: 'same' | 'valid'): OpAttr[] {
  return [
    { name: 'T', type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT },
    { name: 'strides', type: b.binding.TF_ATTR_INT, value: [1, 1, 1, 1] },
    { name: 'padding', type: b.binding.TF_ATTR_STRING, value: padding === 'same' ? 'SAME' : 'VALID' },
    { name: 'data_format', type: b.binding.TF_ATTR_STRING, value: 'NHWC' },
    { name: 'use_cudnn_on_gpu', type: b.binding.TF_ATTR_BOOL, value: true },
    { name: 'dilations', type: b.binding.TF_ATTR_INT, value: [1, rate, rate, 1] },
  ];
}

/**
 * A dilated conv's gradient kernel: one backprop op whose other operand (input `operand`: x for the
 * filter gradient, the filter for the input gradient) comes first or second around the shape vector.
 */
function dilatedGradKernel(kernelName: string, op: 'Conv2DBackpropFilter' | 'Conv2DBackpropInput', operand: 'x' | 'filter'): tf.KernelConfig {
  return {
    kernelName,
    backendName: NATIVE_BACKEND,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as unknown as NativeBackend;
      const a = attrs as unknown as DilatedConvAttrs;
      const { dy } = inputs as { dy: tf.TensorInfo };
      const other = (inputs as Record<string, tf.TensorInfo>)[operand];
      const shape = tf.tensor1d(a.shape, 'int32');
      try {
        return b.executeSingleOutput(op, convAttrs(b, a.rate, a.padding), op === 'Conv2DBackpropFilter' ? [other, shape, dy] : [shape, other, dy]);
      } finally {
        shape.dispose();
      }
    },
  };
}

const DILATED_FILTER_GRAD_KERNEL = dilatedGradKernel(DILATED_FILTER_GRAD, 'Conv2DBackpropFilter', 'x');
const DILATED_INPUT_GRAD_KERNEL = dilatedGradKernel(DILATED_INPUT_GRAD, 'Conv2DBackpropInput', 'filter');

/** Whether this libtensorflow runs both backprop ops at dilation 2 (one tiny conv). */
function probeDilatedGrads(): string | null {
  try {
    tf.tidy(() => {
      const x = tf.ones([1, 5, 5, 1]);
      const filter = tf.ones([3, 3, 1, 1]);
      const dy = tf.ones([1, 5, 5, 1]);
      const attrs = { rate: 2, padding: 'same' as const };
      const df = tf.engine().runKernel(DILATED_FILTER_GRAD, { x, dy }, { ...attrs, shape: [3, 3, 1, 1] } as unknown as tf.NamedAttrMap) as tf.Tensor;
      const dx = tf.engine().runKernel(DILATED_INPUT_GRAD, { filter, dy }, { ...attrs, shape: [1, 5, 5, 1] } as unknown as tf.NamedAttrMap) as tf.Tensor;
      // centre tap of the filter gradient: every output pixel sees the input through it (25);
      // the centre pixel's input gradient: all 9 taps land inside the 5x5 output
      const [centreTap, centrePixel] = [df.dataSync()[4], dx.dataSync()[12]];
      if (centreTap !== 25 || centrePixel !== 9)
        throw new Error(`wrong values: filter gradient's centre tap ${centreTap} (25 expected), input gradient's centre pixel ${centrePixel} (9 expected)`);
    });
    return null;
  } catch (err) {
    // TensorFlow's message is 'Invalid TF_Status: 3' on the first line and the reason below it
    return (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ');
  }
}

let registered = false;
/** why TensorFlow's dilated conv gradients are not used here (null: they are); set at registration */
let dilatedGradsRefusal: string | null = 'not probed: the native kernels are not registered';

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
  tf.registerKernel(DILATED_FILTER_GRAD_KERNEL);
  tf.registerKernel(DILATED_INPUT_GRAD_KERNEL);
  dilatedGradsRefusal = probeDilatedGrads();
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

/** Whether dilated convs can be differentiated by TensorFlow's own backprop ops here. */
export function hasNativeDilatedConvGrads(): boolean {
  return dilatedGradsRefusal === null && hasNativeTrainingKernels();
}

/** What the start-up probe found wrong with TensorFlow's dilated conv gradients (null: nothing). */
export function nativeDilatedConvGradsRefusal(): string | null {
  return dilatedGradsRefusal;
}
