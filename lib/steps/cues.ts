// The cues stage's params and per-item entry (and cues-oracle's); the work is in body/cues.ts.
import { z } from 'zod';
import { ATTENTION } from '../layouts/attention.ts';
import type { PerItemSpec } from '../stage/stage.ts';
import type { Json } from '../store/canonical-json.ts';
import type { CueState } from './body/cues.ts';
import { CueMean, Gamma } from './params.ts';

const body = () => import('./body/cues.ts');
const scores = () => import('./scores.ts');

export const params = z.strictObject({
  saliency: z.enum(['s1', 's2', 's3']).default('s3'),
  gamma: Gamma,
  mean: CueMean,
  /** gt: oracle cues from the ground truth (the fully-supervised upper bound) */
  source: z.enum(['computed', 'gt']).default('computed'),
});
export type CueParams = z.output<typeof params>;

export const perItem: PerItemSpec<CueParams, Json, CueState> = {
  ids: (ctx) => ATTENTION.ids(ctx.inputs.attention),
  setup: async (env) => (await body()).cueSetup(env),
  compute: async (id, env) => (await body()).cueCompute(id, env),
  summarize: async (ctx, _m, ids, read) => (await scores()).cueSummary(ctx, ids, read, `cues (${ctx.params.source === 'gt' ? 'ground truth' : ctx.params.saliency})`),
  chunkSize: 16,
};
