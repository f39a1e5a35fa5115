import type { z } from 'zod';
import { SALIENCY } from '../lib/layouts/saliency.ts';
import { defineStage } from '../lib/contract/stage.ts';
import { erasePassParams } from './shared/params.ts';

/** the paper's threshold for this pass */
const THRESHOLD = 0.8;

export const params = erasePassParams(THRESHOLD);
export type ErasePassParams = z.output<typeof params>;

export default defineStage({
  name: 'erase-s3',
  version: 1,
  description: `erase pixels with S2e >= ${THRESHOLD}, detect again: S3 = max(S2, S3e)`,
  params,
  inputs: ['dataset', 'previous'],
  // the pass before's detector runs again here (lib/work/saliency-passes.ts)
  tensors: (_p, upstream) => upstream('previous')?.tensors ?? false,
  onnx: (_p, upstream) => upstream('previous')?.onnx ?? false,
  work: new URL('../lib/work/erase-s3.ts', import.meta.url),
  perItem: { ids: (ctx) => SALIENCY.ids(ctx.inputs.previous), chunkSize: 4 },
});
