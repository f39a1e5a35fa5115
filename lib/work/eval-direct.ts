// The eval-direct stage's work (stages/eval-direct.ts), the paper's Table 4 baseline ("no joint
// training"): segment a val image directly by Algorithm 1,
// combining the FCAN attention for the classes the classifier predicts with the image's
// hierarchical saliency, with no segmentation network trained on the cues.
// The saliency is the pipeline's own: the first pass's detector (a trained DHSNet's weights found in
// that pass's artifact) and each erase pass's threshold, comparison and fill as the erase stages
// used them, so the baseline differs from DCSP only in what the paper says it does.
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ItemEnv, ItemResult, ItemSetupEnv, ItemWork, StageContext } from '../contract/stage.ts';
import { erasePass, firstPass, toUint8, type PassResult, type SaliencyDetector } from '../saliency/index.ts';
import { DETECTOR_FILE, DETECTOR_WEIGHTS, ERASE_FILE, locatedDetector, type EraseSettings } from './saliency-passes.ts';
import type { Json } from '../store/canonical-json.ts';
import { cuesFromAttention } from '../model/cues.ts';
import { attentionMapsBatch } from '../model/inference-batch.ts';
import { toNetworkInput } from '../model/preprocess.ts';
import { netSetup, type NetState } from './net.ts';
import { PREDICTIONS } from '../layouts/predictions.ts';
import { evalSummary } from './scores.ts';
import type { DirectParams } from '../../stages/eval-direct.ts';
import type { RgbImage } from '../types.ts';

/** Hashed into every item key: the detector and the erase settings of the passes used. */
interface DirectShared {
  [key: string]: Json;
  detector: Json;
  erase: EraseSettings[];
}

interface DirectState extends NetState {
  detector: SaliencyDetector;
}

async function directShared(ctx: StageContext<DirectParams>): Promise<DirectShared> {
  const erase: EraseSettings[] = [];
  for (const slot of (['s2', 's3'] as const).slice(0, ctx.params.passes - 1)) {
    const pass = ctx.inputs[slot];
    if (!pass) throw new Error(`eval-direct with ${ctx.params.passes} passes needs input ${slot} (the erase stage whose settings it repeats)`);
    erase.push(await pass.json<EraseSettings>(ERASE_FILE));
  }
  return { detector: await ctx.inputs.saliency.json<Json>(DETECTOR_FILE), erase };
}

async function directSetup(env: ItemSetupEnv<DirectParams, DirectShared>): Promise<DirectState> {
  const net = await netSetup(env.inputs.dataset, env.inputs.model);
  // a dhsnet's weights live in the first pass's artifact, under a path relative to it
  return { ...net, detector: await locatedDetector(env.shared.detector, () => join(env.inputs.saliency.dir, DETECTOR_WEIGHTS), env.inputs.dataset) };
}

/** Classes whose sigmoid score passes 0.5; the best one when none does (every VOC image has one). */
export function predictedClasses(scores: ArrayLike<number>): number[] {
  const picked: number[] = [];
  let best = 0;
  for (let c = 0; c < scores.length; c++) {
    if (scores[c] > 0) picked.push(c + 1);
    if (scores[c] > scores[best]) best = c;
  }
  return picked.length ? picked : [best + 1];
}

async function directCompute(ids: readonly string[], env: ItemEnv<DirectParams, DirectShared, DirectState>): Promise<ItemResult[]> {
  const { dataset, model, detector } = env.state;
  const p = env.params;
  const items: { image: RgbImage; classes: number[]; saliency: Uint8Array }[] = [];
  for (const id of ids) {
    const image = await dataset.readImage(id);
    let classes = dataset.labels(id);
    if (p.labels === 'predicted') {
      const s = tf.tidy(() => model.forward(tf.tensor4d(toNetworkInput(image), [1, image.height, image.width, 3])).scores);
      classes = predictedClasses(await s.data());
      s.dispose();
    }
    let pass: PassResult = await firstPass(detector, image);
    for (const e of env.shared.erase) {
      pass = await erasePass(
        detector,
        { image, prevRaw: pass.raw, prevCombined: pass.combined, prevMask: pass.mask, threshold: e.threshold },
        { compare: e.compare, fill: e.fill },
      );
    }
    items.push({ image, classes, saliency: toUint8(pass.combined).data });
  }
  // the attention of equal-size images in one batch per scale; the saliency stays per image
  const maps = await attentionMapsBatch(model, items, p.scales);
  return items.map(({ image, saliency }, i) => {
    const prediction = cuesFromAttention(maps[i].maps, maps[i].classes, saliency, image.width, image.height, { gamma: p.gamma, mean: p.mean });
    return { arrays: PREDICTIONS.map(prediction, image.width, image.height) };
  });
}

export const work = {
  shared: directShared,
  setup: directSetup,
  compute: (id, env) => directCompute([id], env).then((r) => r[0]),
  computeBatch: directCompute,
  summarize: (ctx, _m, ids, read) => evalSummary(ctx, ids, read, `Algorithm 1, ${ctx.params.labels} labels, S${ctx.params.passes}`),
} satisfies ItemWork<DirectParams, DirectShared, DirectState>;
