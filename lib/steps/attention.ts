// The attention stage's params and entries; the work is in body/attention.ts.
import { z } from 'zod';
import { Dataset } from '../layouts/dataset.ts';
import type { PerItemSpec, StageContext } from '../stage/stage.ts';
import type { Json } from '../store/canonical-json.ts';
import type { NetState } from './net.ts';
import { Scales } from './params.ts';

const body = () => import('./body/attention.ts');

export const params = z.strictObject({ scales: Scales });
export type AttentionParams = z.output<typeof params>;

export const perItem: PerItemSpec<AttentionParams, Json, NetState> = {
  ids: async (ctx) => (await Dataset.open(ctx.inputs.dataset)).ids('train'),
  setup: async (env) => (await body()).attentionSetup(env),
  compute: async (id, env) => (await body()).attentionCompute(id, env),
  summarize: async (_ctx, metrics) => (await body()).attentionSummary(metrics),
};

/** after the per-image maps: the classifier's mAP on val */
export async function run(ctx: StageContext<AttentionParams>): Promise<Record<string, Json>> {
  return (await body()).classifierMap(ctx);
}
