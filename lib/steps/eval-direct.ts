// The eval-direct stage's params and per-item entry (the paper's Table 4 "no joint training" row);
// the work is in body/eval-direct.ts.
import { z } from 'zod';
import { Dataset } from '../layouts/dataset.ts';
import type { PerItemSpec } from '../stage/stage.ts';
import type { DirectShared, DirectState } from './body/eval-direct.ts';
import { CueMean, Gamma, Scales } from './params.ts';

const body = () => import('./body/eval-direct.ts');

export const params = z.strictObject({
  scales: Scales,
  gamma: Gamma,
  mean: CueMean,
  /** saliency passes: each erase pass repeats the erase stage's threshold, comparison and fill */
  passes: z.union([z.literal(1), z.literal(2), z.literal(3)]).default(3),
  /** predicted: classes with sigmoid(score) > 0.5 (at least the top one); gt: the image's true tags */
  labels: z.enum(['predicted', 'gt']).default('predicted'),
  split: z.enum(['val', 'test']).default('val'),
});
export type DirectParams = z.output<typeof params>;

export const perItem: PerItemSpec<DirectParams, DirectShared, DirectState> = {
  ids: async (ctx) => (await Dataset.open(ctx.inputs.dataset)).ids(ctx.params.split),
  shared: async (ctx) => (await body()).directShared(ctx),
  setup: async (env) => (await body()).directSetup(env),
  compute: async (id, env) => (await body()).directCompute(id, env),
  summarize: async (ctx, _m, ids, read) =>
    (await import('./scores.ts')).evalSummary(ctx, ids, read, `Algorithm 1, ${ctx.params.labels} labels, S${ctx.params.passes}`),
  chunkSize: 4,
};
