import { defineStage } from '../lib/stage/stage.ts';
import { params, perItem } from '../lib/steps/adapt.ts';

export default defineStage({
  name: 'adapt',
  version: 1,
  description: "new cues from the trained network's logits, restricted to the image's labels + background",
  params,
  inputs: ['dataset', 'model'],
  tensors: true,
  perItem,
});
