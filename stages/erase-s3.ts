import { defineStage } from '../lib/stage/stage.ts';
import { params, perItem, THRESHOLD } from '../lib/steps/erase-s3.ts';

export default defineStage({
  name: 'erase-s3',
  version: 1,
  description: `erase pixels with S2e >= ${THRESHOLD}, detect again: S3 = max(S2, S3e)`,
  params,
  inputs: ['dataset', 'previous'],
  // the pass before's detector runs again here (lib/steps/saliency-passes.ts)
  tensors: (_p, upstream) => upstream('previous')?.tensors ?? false,
  perItem,
});
