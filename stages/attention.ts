import { defineStage } from '../lib/stage/stage.ts';
import { params, perItem, run } from '../lib/steps/attention.ts';

export default defineStage({
  name: 'attention',
  version: 1,
  description: '3-scale max-fused attention, per-class min-max normalised, present classes only',
  params,
  inputs: ['dataset', 'model'],
  tensors: true,
  perItem,
  run,
});
