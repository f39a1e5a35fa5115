import { defineStage } from '../lib/stage/stage.ts';
import { params, perItem } from '../lib/steps/eval-direct.ts';

/** The paper's Table 4 "no joint training" row: Algorithm 1 on val images, no segmentation network. */
export default defineStage({
  name: 'eval-direct',
  version: 1,
  description: 'val segmentation straight from attention x saliency (Algorithm 1 with predicted labels), no training',
  params,
  inputs: ['dataset', 'model', 'saliency', 's2', 's3'],
  optionalInputs: ['s2', 's3'],
  inputsUsed: (p) => (['s2', 's3'] as const).slice(0, p.passes - 1),
  tensors: true,
  perItem,
});
