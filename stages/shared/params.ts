// Param pieces several stage declarations share: each default is written here once, so it cannot
// drift between the stages (nor between a stage and the library below it: lib/ takes every such
// setting as a required argument). Light: zod and the vocabulary it needs, no tfjs.
import { z } from 'zod';
import { CUE_MEANS } from '../../lib/model/cues.ts';

export const Model = z.enum(['deeplab-lite', 'deeplab-lite-os4', 'deeplabv2-resnet101', 'deeplab-largefov-vgg16']);

/** channel counts of the ImageNet-sized networks divided by this (tests and smoke runs); 1: the paper's */
export const WidthDivisor = z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8), z.literal(16), z.literal(32), z.literal(64)]).default(1);

export const Scales = z.array(z.number().positive().max(2)).min(1).default([1, 0.75, 0.5]);

export const Compare = z.enum(['>=', '>']);

/** Algorithm 1 (docs/method.md §7): background where the best class's combined score is below gamma */
export const Gamma = z.number().min(0).max(1).default(0.4);
/** how attention and saliency combine per class: the paper's harmonic mean, or the alternatives */
export const CueMean = z.enum(CUE_MEANS).default('harmonic');

/** fill colour of erased pixels: the dataset mean, or an explicit RGB */
export const Fill = z.union([z.literal('mean'), z.tuple([z.number().min(0).max(255), z.number().min(0).max(255), z.number().min(0).max(255)])]);

/** optimisation settings shared by fcan-pretrain, train and retrain (docs/method.md §5, §7, §10) */
export const Training = {
  iterations: z.number().int().positive(),
  batch: z.number().int().positive().default(10),
  crop: z.number().int().positive().default(321),
  lr: z.number().positive().default(1e-3),
  /** sgd: momentum SGD, the paper's; adam: for a network trained from scratch (the toy profile) */
  optimizer: z.enum(['sgd', 'adam']).default('sgd'),
  momentum: z.number().min(0).max(1).default(0.9),
  weightDecay: z.number().min(0).default(5e-4),
  power: z.number().positive().default(0.9),
  scale: z.tuple([z.number().positive(), z.number().positive()]).default([0.5, 1.5]),
  mirror: z.boolean().default(true),
  checkpointEvery: z.number().int().positive().default(1000),
  /** stop when a loss is over this many times the recent median (lib/model/train-loop.ts); 0: no check */
  divergeFactor: z.number().min(0).default(100),
  seed: z.number().int().default(1234),
};

/** erase-s2 and erase-s3: the same params, differing by the default threshold */
export const erasePassParams = (threshold: number) =>
  z.strictObject({ threshold: z.number().min(0).max(1).default(threshold), compare: Compare.default('>='), fill: Fill.default('mean') });

/** train and retrain: the segmentation training */
export const segTrainingParams = z.strictObject({
  ...Training,
  iterations: Training.iterations.default(10000),
  /** code: l_c reaches only the attention head (docs/method.md D4); paper: summed gradients */
  routing: z.enum(['code', 'paper']).default('code'),
  /**
   * the optimiser state at the start: fresh (zero momentum / Adam moments, as DCSP's code: each stage
   * builds new optimisers) or keep (the init model's, which train commits with its weights; for
   * retrain, docs/adapt-study.md)
   */
  optimizerState: z.enum(['fresh', 'keep']).default('fresh'),
});
