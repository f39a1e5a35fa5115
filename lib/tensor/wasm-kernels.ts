// Kernels that gradients need and tfjs-backend-wasm 4.22 lacks or runs slowly, registered for the
// 'wasm' backend. Found by differentiating model-like graphs on wasm (test/tensor/wasm-kernels.test.ts
// keeps that list honest):
//   Conv2DBackpropFilter   missing (tfjs issue #8474): conv2d filter gradient
//   Conv2DBackpropInput    present but several times slower than a forward conv: replaced
//   UnsortedSegmentSum     missing: gradient of tf.gather
//   MaxPoolGrad            present but ~40x slower than the forward max-pool: replaced
//   ResizeBilinearGrad     present but ignores halfPixelCenters: ours handles that case
// The conv kernels are forward conv2d calls on XNNPACK (see conv-grads.ts). The others are one O(n)
// pass over views of the wasm heap (typed-kernels.ts), so no copies in or out. The conv kernels run
// tfjs ops internally; the engine does not record ops run inside a kernel on the gradient tape, and
// tidy frees every intermediate.

import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { conv2dFilterGrad, conv2dInputGrad, pair } from './conv-grads.ts';
import { maxPoolGradInto, resizeBilinearGradInto, unsortedSegmentSumInto } from './typed-kernels.ts';

type KernelArgs = Parameters<tf.KernelFunc>[0];

function input(inputs: tf.NamedTensorInfoMap, name: string, kernel: string): tf.TensorInfo {
  const info = inputs[name];
  if (info === undefined) throw new Error(`${kernel}: missing input '${name}'`);
  return info;
}

function asTensor(info: tf.TensorInfo): tf.Tensor {
  return info instanceof tf.Tensor ? info : tf.engine().makeTensorFromTensorInfo(info);
}

function requireNhwc(kernel: string, dataFormat: string | undefined): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new Error(`${kernel} on wasm supports only NHWC (got ${dataFormat}); the wasm forward conv2d has the same limit`);
  }
}

function requireFloat(kernel: string, ...infos: tf.TensorInfo[]): void {
  for (const t of infos) if (t.dtype !== 'float32') throw new Error(`${kernel} on wasm: expected float32, got ${t.dtype}`);
}

/** A zero-filled float32 output on the wasm heap. */
function zeroOutput(be: BackendWasm, shape: number[]): tf.TensorInfo {
  const out = be.makeOutput(shape, 'float32');
  (be.typedArrayFromHeap(out) as Float32Array).fill(0);
  return out;
}

function conv2dBackpropFilter({ inputs, attrs }: KernelArgs): tf.TensorInfo {
  const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  requireNhwc('Conv2DBackpropFilter', a.dataFormat);
  return tf.tidy(() =>
    conv2dFilterGrad(
      asTensor(input(inputs, 'x', 'Conv2DBackpropFilter')) as tf.Tensor4D,
      asTensor(input(inputs, 'dy', 'Conv2DBackpropFilter')) as tf.Tensor4D,
      a.filterShape,
      { strides: pair(a.strides), dilations: [1, 1], pad: a.pad, dimRoundingMode: a.dimRoundingMode },
    ),
  );
}

function conv2dBackpropInput({ inputs, attrs }: KernelArgs): tf.TensorInfo {
  const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  requireNhwc('Conv2DBackpropInput', a.dataFormat);
  return tf.tidy(() =>
    conv2dInputGrad(
      asTensor(input(inputs, 'dy', 'Conv2DBackpropInput')) as tf.Tensor4D,
      asTensor(input(inputs, 'filter', 'Conv2DBackpropInput')) as tf.Tensor4D,
      a.inputShape,
      { strides: pair(a.strides), dilations: [1, 1], pad: a.pad, dimRoundingMode: a.dimRoundingMode },
    ),
  );
}

function maxPoolGrad({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const a = attrs as unknown as tf.MaxPoolGradAttrs;
  const dy = input(inputs, 'dy', 'MaxPoolGrad');
  const x = input(inputs, 'input', 'MaxPoolGrad');
  requireFloat('MaxPoolGrad', dy, x);
  const info = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  const be = backend as BackendWasm;
  const out = zeroOutput(be, x.shape);
  maxPoolGradInto(
    {
      batch: info.batchSize,
      inH: info.inHeight,
      inW: info.inWidth,
      channels: info.inChannels,
      outH: info.outHeight,
      outW: info.outWidth,
      filterH: info.filterHeight,
      filterW: info.filterWidth,
      strideH: info.strideHeight,
      strideW: info.strideWidth,
      padTop: info.padInfo.top,
      padLeft: info.padInfo.left,
    },
    be.typedArrayFromHeap(x) as Float32Array,
    be.typedArrayFromHeap(dy) as Float32Array,
    be.typedArrayFromHeap(out) as Float32Array,
  );
  return out;
}

function resizeBilinearGrad({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const a = attrs as unknown as tf.ResizeBilinearGradAttrs;
  const images = input(inputs, 'images', 'ResizeBilinearGrad');
  const dy = input(inputs, 'dy', 'ResizeBilinearGrad');
  requireFloat('ResizeBilinearGrad', dy);
  const halfPixelCenters = a.halfPixelCenters === true;
  // The shipped kernel is right (and faster) when halfPixelCenters is off; it ignores that flag.
  const shipped = originals.get('ResizeBilinearGrad');
  if (!halfPixelCenters && shipped !== undefined && images.dtype === 'float32') {
    return shipped.kernelFunc({ inputs, attrs, backend }) as tf.TensorInfo;
  }
  const [batch, inH, inW, channels] = images.shape;
  const be = backend as BackendWasm;
  const out = zeroOutput(be, [batch, inH, inW, channels]);
  resizeBilinearGradInto(
    {
      batch,
      inH,
      inW,
      channels,
      outH: dy.shape[1],
      outW: dy.shape[2],
      alignCorners: a.alignCorners === true,
      halfPixelCenters,
    },
    be.typedArrayFromHeap(dy) as Float32Array,
    be.typedArrayFromHeap(out) as Float32Array,
  );
  return out;
}

/** out[seg[i], ...] += x[i, ...]; ids outside [0, numSegments) are dropped, as in TensorFlow. */
function unsortedSegmentSum({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const { numSegments } = attrs as unknown as tf.UnsortedSegmentSumAttrs;
  const x = input(inputs, 'x', 'UnsortedSegmentSum');
  const ids = input(inputs, 'segmentIds', 'UnsortedSegmentSum');
  if (ids.shape.length !== 1 || ids.shape[0] !== x.shape[0]) {
    throw new Error(`UnsortedSegmentSum on wasm: segmentIds must be 1-D of length x.shape[0] (got [${ids.shape}] for x [${x.shape}])`);
  }
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`UnsortedSegmentSum on wasm: unsupported dtype ${x.dtype}`);
  const be = backend as BackendWasm;
  const inner = x.shape[0] === 0 ? 0 : tf.util.sizeFromShape(x.shape) / x.shape[0];
  const out = be.makeOutput([numSegments, ...x.shape.slice(1)], x.dtype);
  const outView = be.typedArrayFromHeap(out) as Float32Array | Int32Array;
  outView.fill(0);
  unsortedSegmentSumInto(be.typedArrayFromHeap(x) as Float32Array | Int32Array, be.typedArrayFromHeap(ids) as Int32Array, inner, numSegments, outView);
  return out;
}

const KERNELS: Array<{ name: string; fn: tf.KernelFunc }> = [
  { name: 'Conv2DBackpropFilter', fn: conv2dBackpropFilter as tf.KernelFunc },
  { name: 'Conv2DBackpropInput', fn: conv2dBackpropInput as tf.KernelFunc },
  { name: 'MaxPoolGrad', fn: maxPoolGrad as tf.KernelFunc },
  { name: 'ResizeBilinearGrad', fn: resizeBilinearGrad as tf.KernelFunc },
  { name: 'UnsortedSegmentSum', fn: unsortedSegmentSum as tf.KernelFunc },
];

const originals = new Map<string, tf.KernelConfig>();
let registered = false;

/**
 * Register (or replace) our training kernels for the 'wasm' backend. Idempotent. Call it after the
 * wasm backend is initialised, so that kernels it replaces have run their setup and stay callable
 * through originalWasmKernel (benchmarks compare against them).
 */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  for (const { name, fn } of KERNELS) {
    const existing = tf.getKernel(name, 'wasm');
    if (existing !== undefined) {
      originals.set(name, existing);
      tf.unregisterKernel(name, 'wasm');
    }
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: fn });
  }
  registered = true;
}

/** The kernel tfjs-backend-wasm shipped under `name`, if we replaced one. */
export function originalWasmKernel(name: string): tf.KernelConfig | undefined {
  return originals.get(name);
}

/** Names of the kernels this module provides for wasm (for logs and tests). */
export const WASM_TRAINING_KERNELS: readonly string[] = KERNELS.map((k) => k.name);
