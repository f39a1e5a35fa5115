import { defineStage } from '../lib/stage/stage.ts';
import { params, perItem } from '../lib/steps/eval.ts';

export default defineStage({
  name: 'eval',
  version: 1,
  description: 'multi-scale inference, dense CRF, mIoU on val; VOC test-server PNGs',
  params,
  inputs: ['dataset', 'train', 'retrain'],
  tensors: true,
  perItem,
});
