import { defineStage } from '../lib/stage/stage.ts';
import { params, run } from '../lib/steps/fcan-pretrain.ts';

export default defineStage({
  name: 'fcan-pretrain',
  version: 1,
  description: 'FCAN classification objective (eq. 1) on image labels',
  params,
  inputs: ['dataset'],
  isolate: true,
  tensors: true,
  // the divergence check (lib/model/train-loop.ts) stops a run or leaves its bytes alone
  guards: ['divergeFactor'],
  refuse: (p) => {
    const imagenet = p.model === 'deeplabv2-resnet101' || p.model === 'deeplab-largefov-vgg16';
    if (imagenet && p.headsOnly && !p.init) {
      return { key: 'init', message: `${p.model} trained heads-only (headsOnly: true) would keep a random trunk frozen; set init to 'download' (the Keras ImageNet weights) or a Keras notop HDF5 file, or headsOnly: false to train it from scratch` };
    }
    if (!imagenet && p.init) return { key: 'init', message: `${p.model} has no ImageNet weights (it trains from scratch); remove init` };
    return null;
  },
  run,
});
