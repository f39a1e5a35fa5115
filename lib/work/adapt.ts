// The adapt stage's work (stages/adapt.ts): new cues from the trained network, restricted to each
// image's classes; their quality against the ground truth as the summary (scores.ts).
import type { ItemEnv, ItemResult, ItemWork } from '../contract/stage.ts';
import type { Json } from '../store/canonical-json.ts';
import { adaptImages } from '../model/inference-batch.ts';
import { netSetup, type NetState } from './net.ts';
import { cueSummary } from './scores.ts';
import { CUES } from '../layouts/cues.ts';
import type { AdaptParams } from '../../stages/adapt.ts';

export const work = {
  setup: (env) => netSetup(env.inputs.dataset, env.inputs.model),
  compute: (id, env) => adaptCompute([id], env).then((r) => r[0]),
  computeBatch: adaptCompute,
  summarize: (ctx, _m, ids, read) => cueSummary(ctx, ids, read, 'adapted cues'),
} satisfies ItemWork<AdaptParams, Json, NetState>;

async function adaptCompute(ids: readonly string[], env: ItemEnv<AdaptParams, Json, NetState>): Promise<ItemResult[]> {
  const { dataset, model } = env.state;
  const items = await Promise.all(ids.map(async (id) => ({ image: await dataset.readImage(id), classes: dataset.labels(id) })));
  const cues = await adaptImages(model, items, { scales: env.params.scales, masking: env.params.masking });
  return cues.map((cue, i) => ({ arrays: CUES.map(cue, items[i].image.width, items[i].image.height) }));
}
