import { defineStage } from '../lib/stage/stage.ts';
import { detectorReadsWeights, detectorRefusal, detectorTensors } from '../lib/saliency/stage-hooks.ts';
import { params, perItem } from '../lib/steps/saliency-s1.ts';

export default defineStage({
  name: 'saliency-s1',
  version: 1,
  description: 'off-the-shelf salient-object detector on every train image -> S1',
  params,
  inputs: ['dataset', 'weights'],
  optionalInputs: ['weights'],
  // what the chosen detector needs, reads and computes with: lib/saliency/stage-hooks.ts
  // (saliency-train, on_demand, runs only for a detector that reads its weights)
  inputsUsed: (p) => (detectorReadsWeights(p) ? ['weights'] : []),
  refuse: (p, upstream) => detectorRefusal(p, upstream('weights') !== undefined),
  tensors: (p) => detectorTensors(p),
  perItem,
});
