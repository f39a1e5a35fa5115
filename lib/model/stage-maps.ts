// The per-image stages built on a trained network or on other maps: attention (FCAN attention at
// three scales), cues (Algorithm 1), adapt (cues from the trained network) and eval (multi-scale
// prediction, dense CRF, mIoU). Each exports the pieces of a per-item stage: setup (one per worker),
// compute (one image) and summarize (the stage's metrics, from the stored maps).
import { join } from 'node:path';
import { Dataset } from '../data/dataset-artifact.ts';
import type { ItemEnv, ItemResult, ItemSetupEnv, StageContext } from '../exec/stage.ts';
import { meanAveragePrecision } from '../metrics/classification.ts';
import { ConfusionMatrix, formatScoresTable } from '../metrics/confusion.ts';
import type { Artifact } from '../store/artifact.ts';
import type { Json } from '../store/canonical-json.ts';
import { initBackend } from '../tensor/backend.ts';
import { VOID_LABEL } from '../types.ts';
import { loadModel } from './build.ts';
import { CueQuality } from './cue-quality.ts';
import { cuesFromAttention, type CueMean } from './cues.ts';
import { adaptImage, attentionMaps, predict } from './inference.ts';
import type { AdaptMasking } from './adapt.ts';
import type { SegmentationModel } from './model.ts';
import { CHECKPOINT_DIR } from './stage-training.ts';

interface NetState {
  dataset: Dataset;
  model: SegmentationModel;
}

const quiet = (): void => undefined;

async function netSetup(dataset: Artifact, modelArtifact: Artifact): Promise<NetState> {
  await initBackend({ log: quiet });
  return { dataset: await Dataset.open(dataset), model: await loadModel(join(modelArtifact.dir, CHECKPOINT_DIR)) };
}

const round = (v: number): number => (Number.isFinite(v) ? Math.round(v * 10000) / 10000 : v);
const map8 = (r: ItemResult, name: string): Uint8Array => r.arrays[name].data as Uint8Array;

// ---- attention -------------------------------------------------------------------------------

export interface AttentionParams {
  scales: number[];
}

export const attentionSetup = (env: ItemSetupEnv<AttentionParams, Json>): Promise<NetState> => netSetup(env.inputs.dataset, env.inputs.model);

export async function attentionCompute(id: string, env: ItemEnv<AttentionParams, Json, NetState>): Promise<ItemResult> {
  const { dataset, model } = env.state;
  const image = await dataset.readImage(id);
  const a = await attentionMaps(model, image, dataset.labels(id), env.params.scales);
  // peak location accuracy: is each class's attention maximum inside a GT object of that class?
  const gt = await dataset.readGt(id);
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
    arrays: { attention: { data: a.maps, shape: [a.classes.length, a.height, a.width] }, classes: { data: Uint8Array.from(a.classes), shape: [a.classes.length] } },
    metrics: gt ? { pairs: a.classes.length, hits } : undefined,
  };
}

export function attentionSummary(metrics: (Record<string, Json> | null)[]): Record<string, Json> {
  const pairs = metrics.reduce((s, m) => s + Number(m?.pairs ?? 0), 0);
  const hits = metrics.reduce((s, m) => s + Number(m?.hits ?? 0), 0);
  return { peakAccuracy: pairs ? round(hits / pairs) : null, peakPairs: pairs };
}

/** mAP of the FCAN class scores (scale 1) on val: how well the classifier behind the attention works. */
export async function classifierMap(ctx: StageContext<AttentionParams>): Promise<Record<string, Json>> {
  const tf = await import('@tensorflow/tfjs');
  const { toNetworkInput } = await import('./preprocess.ts');
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
  const { map } = meanAveragePrecision(scores, ids.map((id) => state.dataset.labels(id)));
  ctx.log(`classifier mAP on ${ids.length} val images: ${(100 * map).toFixed(1)}%`);
  return { valMap: round(map) };
}

// ---- cues ------------------------------------------------------------------------------------

export interface CueParams {
  saliency: 's1' | 's2' | 's3';
  gamma: number;
  mean: CueMean;
  source: 'computed' | 'gt';
}

export async function cueSetup(env: ItemSetupEnv<CueParams, Json>): Promise<{ dataset: Dataset }> {
  return { dataset: await Dataset.open(env.inputs.dataset) };
}

export async function cueCompute(id: string, env: ItemEnv<CueParams, Json, { dataset: Dataset }>): Promise<ItemResult> {
  const { dataset } = env.state;
  if (env.params.source === 'gt') {
    const gt = await dataset.readGt(id);
    if (!gt) throw new Error(`cues.source=gt needs ground truth, and ${id} has none`);
    // training uses no ignore label (DCSP-SPEC 7): the void band becomes background
    return { arrays: { cue: { data: gt.data.map((v) => (v === VOID_LABEL ? 0 : v)), shape: [gt.height, gt.width] } } };
  }
  const a = await (await env.inputs.attention.items('attention')).read(id);
  const classes = Array.from((await (await env.inputs.attention.items('classes')).read(id)).data);
  const s = await (await env.inputs[env.params.saliency].items('s')).read(id);
  const [h, w] = s.shape;
  if (a.shape[1] !== h || a.shape[2] !== w) throw new Error(`attention ${a.shape.slice(1).join('x')} and saliency ${h}x${w} differ for ${id}`);
  const cue = cuesFromAttention(a.data as Uint8Array, classes, s.data as Uint8Array, w, h, { gamma: env.params.gamma, mean: env.params.mean });
  return { arrays: { cue: { data: cue, shape: [h, w] } } };
}

/** Cue mIoU and foreground precision / recall against the ground truth, where there is some. */
export async function cueSummary(ctx: StageContext<unknown>, ids: string[], read: (i: number) => Promise<ItemResult>, label: string): Promise<Record<string, Json>> {
  const dataset = await Dataset.open(ctx.inputs.dataset);
  const q = new CueQuality();
  let images = 0;
  for (let i = 0; i < ids.length; i++) {
    const gt = await dataset.readGt(ids[i]);
    if (!gt) continue;
    q.add(map8(await read(i), 'cue'), gt.data, ids[i]);
    images++;
  }
  if (!images) return { quality: null };
  const s = q.scores();
  ctx.log(`${label} on ${images} train images with ground truth: mIoU ${(100 * s.meanIoU).toFixed(1)}%, precision ${(100 * s.precision).toFixed(1)}%, recall ${(100 * s.recall).toFixed(1)}% (foreground, class-aware)`);
  return { quality: { images, meanIoU: round(s.meanIoU), precision: round(s.precision), recall: round(s.recall), fgPrecision: round(s.fgPrecision), fgRecall: round(s.fgRecall) } };
}

// ---- adapt -----------------------------------------------------------------------------------

export interface AdaptParams {
  scales: number[];
  masking: AdaptMasking;
}

export const adaptSetup = (env: ItemSetupEnv<AdaptParams, Json>): Promise<NetState> => netSetup(env.inputs.dataset, env.inputs.model);

export async function adaptCompute(id: string, env: ItemEnv<AdaptParams, Json, NetState>): Promise<ItemResult> {
  const { dataset, model } = env.state;
  const image = await dataset.readImage(id);
  const cue = await adaptImage(model, image, dataset.labels(id), { scales: env.params.scales, masking: env.params.masking });
  return { arrays: { cue: { data: cue, shape: [image.height, image.width] } } };
}

// ---- eval ------------------------------------------------------------------------------------

export interface EvalParams {
  scales: number[];
  crf: boolean;
  checkpoint: 'train' | 'retrain';
  split: 'val' | 'test';
}

export const evalSetup = (env: ItemSetupEnv<EvalParams, Json>): Promise<NetState> => netSetup(env.inputs.dataset, env.inputs[env.params.checkpoint]);

export async function evalCompute(id: string, env: ItemEnv<EvalParams, Json, NetState>): Promise<ItemResult> {
  const { dataset, model } = env.state;
  const image = await dataset.readImage(id);
  const prob = await predict(model, image, env.params.scales, 'hwc');
  let pred: Uint8Array;
  if (env.params.crf) {
    const { crfLabels } = await import('../crf/dense-crf.ts');
    pred = crfLabels(image, prob.data, 21);
  } else {
    const { argmaxLabels } = await import('../crf/dense-crf.ts');
    pred = argmaxLabels(prob.data, 21);
  }
  return { arrays: { prediction: { data: pred, shape: [image.height, image.width] } } };
}

/** Confusion matrix over pixels with ground truth, per-class IoU, mIoU, pixel accuracy. */
export async function evalSummary(ctx: StageContext<EvalParams>, ids: string[], read: (i: number) => Promise<ItemResult>): Promise<Record<string, Json>> {
  const dataset = await Dataset.open(ctx.inputs.dataset);
  const cm = new ConfusionMatrix(21, VOID_LABEL);
  let images = 0;
  for (let i = 0; i < ids.length; i++) {
    const gt = await dataset.readGt(ids[i]);
    if (!gt) continue;
    cm.add(map8(await read(i), 'prediction'), gt.data, ids[i]);
    images++;
  }
  if (ctx.params.split === 'test') {
    const { writeTestServerFiles } = await import('../data/test-server.ts');
    const n = await writeTestServerFiles(ctx.out, ids, async (i) => {
      const r = await read(i);
      const [height, width] = r.arrays.prediction.shape;
      return { width, height, data: map8(r, 'prediction') };
    });
    ctx.log(`eval: ${n} test predictions in results/VOC2012/Segmentation/comp6_test_cls/ and results.tar.gz (ready to upload)`);
  }
  if (!images) return { images: 0 };
  const s = cm.scores();
  ctx.log(`eval on ${images} ${ctx.params.split} images (${ctx.params.checkpoint}, ${ctx.params.crf ? 'CRF' : 'no CRF'}, scales ${ctx.params.scales.join('/')}):\n${formatScoresTable(s, dataset.index.classNames)}`);
  await ctx.out.json('confusion.json', { classes: dataset.index.classNames, counts: Array.from(cm.counts) });
  return {
    images,
    meanIoU: round(s.meanIoU),
    pixelAccuracy: round(s.pixelAccuracy),
    meanClassAccuracy: round(s.meanClassAccuracy),
    iou: Object.fromEntries(dataset.index.classNames.map((c, k) => [c, round(s.iou[k])])),
  };
}
