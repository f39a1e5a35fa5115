// The attention stage's work (stages/attention.ts): FCAN attention at three scales for every train
// image, how often each class's attention peak falls inside that class's object, and the
// classifier's mAP on val.
import type { ItemEnv, ItemResult, ItemWork, StageContext } from '../contract/stage.ts';
import { meanAveragePrecision } from '../metrics/classification.ts';
import type { Json } from '../store/canonical-json.ts';
import type { Map8 } from '../types.ts';
import { attentionMapsBatch } from '../model/inference-batch.ts';
import type { AttentionMaps } from '../model/attention-norm.ts';
import { netSetup, type NetState } from './net.ts';
import { attentionItem } from '../layouts/attention.ts';
import { formatPercent, roundTo } from '../format.ts';
import type { AttentionParams } from '../../stages/attention.ts';

export const work = {
  setup: (env) => netSetup(env.inputs.dataset, env.inputs.model),
  compute: (id, env) => attentionCompute([id], env).then((r) => r[0]),
  computeBatch: attentionCompute,
  summarize: (_ctx, metrics) => attentionSummary(metrics),
  run: classifierMap,
} satisfies ItemWork<AttentionParams, Json, NetState>;

async function attentionCompute(ids: readonly string[], env: ItemEnv<AttentionParams, Json, NetState>): Promise<ItemResult[]> {
  const { dataset, model } = env.state;
  const items = await Promise.all(ids.map(async (id) => ({ image: await dataset.readImage(id), classes: dataset.labels(id) })));
  const maps = await attentionMapsBatch(model, items, env.params.scales);
  return Promise.all(ids.map(async (id, i) => attentionResult(maps[i], await dataset.readGt(id))));
}

function attentionResult(a: AttentionMaps, gt: Map8 | null): ItemResult {
  // peak location accuracy: is each class's attention maximum inside a GT object of that class?
  let hits = 0;
  if (gt) {
    const n = a.width * a.height;
    a.classes.forEach((c, k) => {
      let best = 0;
      for (let i = 1; i < n; i++) if (a.maps[k * n + i] > a.maps[k * n + best]) best = i;
      if (gt.data[best] === c) hits++;
    });
  }
  return {
    arrays: attentionItem(a),
    metrics: gt ? { pairs: a.classes.length, hits } : undefined,
  };
}

function attentionSummary(metrics: (Record<string, Json> | null)[]): Record<string, Json> {
  const pairs = metrics.reduce((s, m) => s + Number(m?.pairs ?? 0), 0);
  const hits = metrics.reduce((s, m) => s + Number(m?.hits ?? 0), 0);
  return { peakAccuracy: pairs ? roundTo(hits / pairs) : null, peakPairs: pairs };
}

/** mAP of the FCAN class scores (scale 1) on val: how well the classifier behind the attention works. */
async function classifierMap(ctx: StageContext<AttentionParams>): Promise<Record<string, Json>> {
  const tf = await import('@tensorflow/tfjs');
  const { toNetworkInput } = await import('../model/preprocess.ts');
  const state = await netSetup(ctx.inputs.dataset, ctx.inputs.model);
  const ids = state.dataset.ids('val');
  const scores: number[][] = [];
  ctx.progress.start(ids.length, 'val mAP');
  for (const id of ids) {
    const image = await state.dataset.readImage(id);
    const s = tf.tidy(() => state.model.forward(tf.tensor4d(toNetworkInput(image), [1, image.height, image.width, 3])).scores);
    scores.push(Array.from(await s.data()));
    s.dispose();
    ctx.progress.tick();
  }
  ctx.progress.done();
  state.model.dispose();
  const { map } = meanAveragePrecision(
    scores,
    ids.map((id) => state.dataset.labels(id)),
    state.dataset.index.classNames.length - 1,
  );
  ctx.log(`classifier mAP on ${ids.length} val images: ${formatPercent(map)}`);
  return { valMap: roundTo(map) };
}
