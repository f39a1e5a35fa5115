// The paper's Table 4 baseline ("no joint training"): segment a val image directly by Algorithm 1,
// combining the FCAN attention for the classes the classifier predicts with the image's
// hierarchical saliency, with no segmentation network trained on the cues.
import * as tf from '@tensorflow/tfjs';
import type { ItemEnv, ItemResult, ItemSetupEnv } from '../exec/stage.ts';
import { getDetector, hierarchicalSaliency, toUint8, type DetectorSpec } from '../saliency/index.ts';
import { DETECTOR_FILE } from '../saliency/passes.ts';
import type { Json } from '../store/canonical-json.ts';
import { cuesFromAttention, type CueMean } from './cues.ts';
import { attentionMaps } from './inference.ts';
import { toNetworkInput } from './preprocess.ts';
import { netSetup, type NetState } from './stage-net.ts';

export interface DirectParams {
  scales: number[];
  gamma: number;
  mean: CueMean;
  /** saliency passes: 1 = S1, 2 = S2, 3 = S3 */
  passes: 1 | 2 | 3;
  thresholds: [number, number];
  /** predicted: classes with sigmoid(score) > 0.5 (at least the top one); gt: the image's true tags */
  labels: 'predicted' | 'gt';
  split: 'val' | 'test';
}

interface DirectState extends NetState {
  detector: DetectorSpec;
}

export async function directSetup(env: ItemSetupEnv<DirectParams, Json>): Promise<DirectState> {
  const net = await netSetup(env.inputs.dataset, env.inputs.model);
  return { ...net, detector: await env.inputs.saliency.json<DetectorSpec>(DETECTOR_FILE) };
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

export async function directCompute(id: string, env: ItemEnv<DirectParams, Json, DirectState>): Promise<ItemResult> {
  const { dataset, model, detector } = env.state;
  const p = env.params;
  const image = await dataset.readImage(id);
  let classes = dataset.labels(id);
  if (p.labels === 'predicted') {
    const s = tf.tidy(() => model.forward(tf.tensor4d(toNetworkInput(image), [1, image.height, image.width, 3])).scores);
    classes = predictedClasses(await s.data());
    s.dispose();
  }
  const sal = await hierarchicalSaliency(await getDetector(detector), image, { thresholds: p.thresholds.slice(0, p.passes - 1) });
  const saliency = toUint8(sal.s[p.passes - 1]).data;
  const a = await attentionMaps(model, image, classes, p.scales);
  const prediction = cuesFromAttention(a.maps, a.classes, saliency, image.width, image.height, { gamma: p.gamma, mean: p.mean });
  return { arrays: { prediction: { data: prediction, shape: [image.height, image.width] } } };
}
