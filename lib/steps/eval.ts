// The eval stage's params and per-item entry (and eval-oracle's); the work is in body/eval.ts.
import { z } from 'zod';
import { Dataset } from '../layouts/dataset.ts';
import type { PerItemSpec } from '../stage/stage.ts';
import type { Json } from '../store/canonical-json.ts';
import type { NetState } from './net.ts';
import { Scales } from './params.ts';

const body = () => import('./body/eval.ts');

export const params = z.strictObject({
  scales: Scales,
  crf: z.boolean().default(true),
  /** CRF settings over DCSP's (lib/crf DEFAULT_CRF_PARAMS); kernel widths are in pixels, so small
   * images want them scaled down */
  crfParams: z
    .strictObject({
      iterations: z.number().int().min(1),
      posSxy: z.number().positive(),
      posWeight: z.number().min(0),
      bilSxy: z.number().positive(),
      bilSrgb: z.number().positive(),
      bilWeight: z.number().min(0),
    })
    .partial()
    .default({}),
  /** retrain: the adapted model; train: without adapt (the ablation) */
  checkpoint: z.enum(['retrain', 'train']).default('retrain'),
  split: z.enum(['val', 'test']).default('val'),
});
export type EvalParams = z.output<typeof params>;

export const perItem: PerItemSpec<EvalParams, Json, NetState> = {
  ids: async (ctx) => (await Dataset.open(ctx.inputs.dataset)).ids(ctx.params.split),
  setup: async (env) => (await body()).evalSetup(env),
  compute: async (id, env) => (await body()).evalCompute(id, env),
  summarize: async (ctx, _m, ids, read) =>
    (await import('./scores.ts')).evalSummary(ctx, ids, read, `${ctx.params.checkpoint}, ${ctx.params.crf ? 'CRF' : 'no CRF'}, scales ${ctx.params.scales.join('/')}`),
  chunkSize: 4,
};
