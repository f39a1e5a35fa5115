// The adapt stage's params and per-item entry; the work is in body/adapt.ts.
import { z } from 'zod';
import { Dataset } from '../layouts/dataset.ts';
import type { PerItemSpec } from '../stage/stage.ts';
import type { Json } from '../store/canonical-json.ts';
import type { NetState } from './net.ts';
import { Scales } from './params.ts';

const body = () => import('./body/adapt.ts');
const scores = () => import('./scores.ts');

export const params = z.strictObject({
  scales: Scales,
  /** exclude: absent classes at -inf (the paper); zero: the code's zeroing (docs/method.md D8) */
  masking: z.enum(['exclude', 'zero']).default('exclude'),
});
export type AdaptParams = z.output<typeof params>;

export const perItem: PerItemSpec<AdaptParams, Json, NetState> = {
  ids: async (ctx) => (await Dataset.open(ctx.inputs.dataset)).ids('train'),
  setup: async (env) => (await body()).adaptSetup(env),
  compute: async (id, env) => (await body()).adaptCompute(id, env),
  summarize: async (ctx, _m, ids, read) => (await scores()).cueSummary(ctx, ids, read, 'adapted cues'),
};
