import { defineStage } from '../lib/stage/stage.ts';
import { params, run } from '../lib/steps/saliency-train.ts';

export default defineStage({
  name: 'saliency-train',
  version: 1,
  description: 'DHSNet trained on class-agnostic saliency masks (the detector of saliency-s1 when detector is dhsnet)',
  params,
  inputs: [],
  isolate: true,
  tensors: true,
  // the divergence check (lib/model/train-loop.ts) stops a run or leaves its bytes alone
  guards: ['divergeFactor'],
  run,
});
