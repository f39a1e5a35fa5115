import { z } from 'zod';
import { defineStage } from '../lib/contract/stage.ts';
import { Training, WidthDivisor } from './shared/params.ts';

const positive = z.number().int().positive();
// the network's input is fixed (its global view is a fully connected layer): no crop size
const { crop: _crop, ...Optimisation } = Training;

export const params = z
  .strictObject({
    /** toy-agnostic: generated scenes of shapes no toy class uses; duts: DUTS-TR, downloaded and checked
     * (10,553 image/mask pairs); folder: DUTS-TR, MSRA10K or any images + masks you already have */
    source: z.enum(['toy-agnostic', 'duts', 'folder']).default('toy-agnostic'),
    /** duts source: a mirror URL, and the pairs it must hold (tests) */
    duts: z.strictObject({ url: z.string(), pairs: positive }).partial().default({}),
    count: positive.default(4000),
    toy: z
      .strictObject({
        minSize: positive.default(64),
        maxSize: positive.default(96),
        maxObjects: positive.default(3),
        lowContrastRate: z.number().min(0).max(1).default(0.15),
      })
      .prefault({}),
    /** folder source: the image folder and the mask folder (same base names, PNG masks) */
    images: z.string().optional(),
    masks: z.string().optional(),
    holdout: z.number().int().min(0).default(100),
    variant: z.enum(['dhsnet', 'dhsnet-lite']).default('dhsnet'),
    /** square network input side (default: 224 for dhsnet, 64 for dhsnet-lite) */
    size: positive.optional(),
    /** VGG16 ImageNet init (full dhsnet): 'download' (Keras notop HDF5, pinned MD5), a path to it, or 'none' */
    init: z.string().default('none'),
    /** every channel count divided by this: a narrow copy for tests and smoke runs (1 = the paper's widths) */
    widthDivisor: WidthDivisor,
    ...Optimisation,
    iterations: Training.iterations.default(20000),
    batch: Training.batch.default(8),
    lr: Training.lr.default(1e-2),
    scale: Training.scale.default([0.75, 1.25]),
  })
  .refine((p) => p.source !== 'folder' || (p.images && p.masks), { message: 'source folder needs images and masks' });
export type SaliencyTrainParams = z.output<typeof params>;

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
  work: new URL('../lib/work/saliency-train.ts', import.meta.url),
});
