import { defineStage } from '../lib/stage/stage.ts';
import { params, run } from '../lib/steps/retrain.ts';

export default defineStage({
  name: 'retrain',
  version: 1,
  description: "same objective on the adapted cues, from train's weights, learning rate reset",
  params,
  inputs: ['dataset', 'cues', 'init'],
  isolate: true,
  tensors: true,
  // the divergence check (lib/model/train-loop.ts) stops a run or leaves its bytes alone
  guards: ['divergeFactor'],
  run,
});
