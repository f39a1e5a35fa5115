import { defineStage } from '../lib/stage/stage.ts';
import { params, perItem, THRESHOLD } from '../lib/steps/erase-s2.ts';

export default defineStage({
  name: 'erase-s2',
  version: 1,
  description: `erase pixels with S1 >= ${THRESHOLD}, detect again: S2 = max(S1, S2e)`,
  params,
  inputs: ['dataset', 'previous'],
  // the pass before's detector runs again here (lib/steps/saliency-passes.ts)
  tensors: (_p, upstream) => upstream('previous')?.tensors ?? false,
  perItem,
});
