import { z } from 'zod';
import { defineStage } from '../lib/contract/stage.ts';
import { Model, Training, WidthDivisor } from './shared/params.ts';

export const params = z.strictObject({
  model: Model.default('deeplab-lite'),
  ...Training,
  iterations: Training.iterations.default(30000),
  /** the code trains only the heads (ASPP + 1x1 attention filters) on an ImageNet backbone;
   * a model without ImageNet weights (deeplab-lite) must train everything: false */
  headsOnly: z.boolean().default(true),
  /** ImageNet weights: a Keras "notop" HDF5 file, or 'download' (pinned MD5; mirrors: $DCSP_MIRRORS) */
  init: z.string().optional(),
  /** every channel count divided by this: a narrow copy for tests and smoke runs (1 = the paper's widths) */
  widthDivisor: WidthDivisor,
});
export type FcanPretrainParams = z.output<typeof params>;

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
      return {
        key: 'init',
        message: `${p.model} trained heads-only (headsOnly: true) would keep a random trunk frozen; set init to 'download' (the Keras ImageNet weights) or a Keras notop HDF5 file, or headsOnly: false to train it from scratch`,
      };
    }
    if (!imagenet && p.init) return { key: 'init', message: `${p.model} has no ImageNet weights (it trains from scratch); remove init` };
    return null;
  },
  work: new URL('../lib/work/fcan-pretrain.ts', import.meta.url),
});
