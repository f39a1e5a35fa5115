import { defineStage } from '../lib/stage/stage.ts';
import { params, run } from '../lib/steps/dataset.ts';

export default defineStage({
  name: 'dataset',
  version: 1,
  description: 'toy (generated, VOC layout) or voc (VOC2012 + SBD train_aug): ids, sizes, labels, paths',
  params,
  inputs: [],
  run,
});
