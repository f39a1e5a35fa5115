// Worker-thread task for the CRF (tinypool / worker_threads). Each thread keeps its own compiled
// kernels and WebAssembly memory between images. TypeScript workers need tsx in the thread: load
// worker-entry.mjs as the pool's filename (execArgv ['--import', 'tsx'] is not applied to worker
// threads on Node 20).

import Tinypool from 'tinypool';
import type { RgbImage } from '../types.ts';
import { argmaxLabels, denseCrf, type CrfEngine, type CrfParams } from './dense-crf.ts';

export interface CrfTask {
  image: RgbImage;
  /** [H, W, L] probabilities */
  prob: Float32Array;
  labels: number;
  params?: Partial<CrfParams>;
  /** 'labels' (default): argmax map [H, W]; 'marginals': Q [H, W, L] */
  output?: 'labels' | 'marginals';
  engine?: CrfEngine;
}

export default function crfTask(task: CrfTask): Uint8Array | Float32Array {
  const q = denseCrf(task.image, task.prob, task.labels, task.params ?? {}, task.engine);
  const out = task.output === 'marginals' ? q : argmaxLabels(q, task.labels);
  // hand the buffer over instead of copying it back to the caller
  return Tinypool.move(out) as Uint8Array | Float32Array;
}
