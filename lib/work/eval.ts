// The eval stage's work (stages/eval.ts, and eval-oracle): multi-scale prediction and the dense CRF
// per image; the summary (confusion matrix, mIoU, test-server PNGs) is shared with eval-direct
// (scores.ts).
import type { ItemEnv, ItemResult, ItemWork } from '../contract/stage.ts';
import type { Json } from '../store/canonical-json.ts';
import { segmentImages } from '../predict/segment.ts';
import { netSetup, type NetState } from './net.ts';
import { evalSummary } from './scores.ts';
import { PREDICTIONS } from '../layouts/predictions.ts';
import type { EvalParams } from '../../stages/eval.ts';

export const work = {
  setup: (env) => netSetup(env.inputs.dataset, env.inputs[env.params.checkpoint]),
  compute: (id, env) => evalCompute([id], env).then((r) => r[0]),
  computeBatch: evalCompute,
  summarize: (ctx, _m, ids, read) =>
    evalSummary(ctx, ids, read, `${ctx.params.checkpoint}, ${ctx.params.crf ? 'CRF' : 'no CRF'}, scales ${ctx.params.scales.join('/')}`),
} satisfies ItemWork<EvalParams, Json, NetState>;

async function evalCompute(ids: readonly string[], env: ItemEnv<EvalParams, Json, NetState>): Promise<ItemResult[]> {
  const { dataset, model } = env.state;
  const images = await Promise.all(ids.map((id) => dataset.readImage(id)));
  const preds = await segmentImages(model, images, dataset.index.classNames.length, env.params);
  return preds.map((pred, i) => ({ arrays: PREDICTIONS.map(pred, images[i].width, images[i].height) }));
}
