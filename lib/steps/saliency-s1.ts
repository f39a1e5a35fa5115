// The saliency-s1 stage's params and per-item entry: the first saliency pass, whose work is shared
// with the erase passes (saliency-passes.ts). The detectors are lib/saliency's registry.
import { z } from 'zod';
import { checkDetectorParams, detectorName, withDetectorCode } from '../saliency/stage-hooks.ts';
import type { PerItemSpec } from '../stage/stage.ts';
import type { PassShared, PassState } from './saliency-passes.ts';

const passes = () => import('./saliency-passes.ts');

export const params = z.strictObject({
  /** a detector of lib/saliency/registry.ts (pipeline --help lists them), e.g. isnet (options.variant: medium, small) */
  detector: detectorName.default('boundary'),
  /** onnx: a file or a named model (u2netp, u2net); tfjs: a model folder; dhsnet: a folder of
   * converted weights (otherwise the weights come from input `weights`, saliency-train) */
  model: z.string().optional(),
  /** further detector settings (lib/saliency/detectors/<name>.ts), e.g. { segments: 300 } */
  options: z.record(z.string(), z.unknown()).default({}),
  split: z.enum(['train', 'val', 'all']).default('train'),
  /** set by the parse, not by hand: the code identity of a plugin's detector (lib/saliency/stage-hooks.ts) */
  detectorCode: z.string().optional(),
}).superRefine(checkDetectorParams).transform(withDetectorCode);
export type FirstPassParams = z.output<typeof params>;

export const perItem: PerItemSpec<FirstPassParams, PassShared, PassState> = {
  ids: async (ctx) => (await passes()).passIds(ctx, ctx.params.split),
  shared: async (ctx) => (await passes()).firstPassShared(ctx),
  setup: async (env) => (await passes()).passSetup(env),
  compute: async (id, env) => (await passes()).computeFirstPass(id, env),
  summarize: async (ctx, _m, ids, read) => (await passes()).passQuality(ctx, ids, read, 'S1'),
  chunkSize: 4,
};
