// DHSNet's training objective: per-pixel binary cross-entropy at every supervised map (S_G and the
// four refinement steps), each against the ground-truth mask brought to that map's size, summed
// over the maps (the paper's deep supervision, equal weights).

import * as tf from '@tensorflow/tfjs';
import { fcanLoss } from '../model/losses.ts';
import type { CustomObjective } from '../model/train-loop.ts';
import { stepSizes, type DhsnetModel } from './dhsnet-model.ts';

/**
 * Halve a [h, w] map by 2x2 box averages over the pixels that exist (the last row/column of an odd
 * size averages fewer): the ceil chain of the encoder's 'same' pools, so every target lands on its
 * map's grid exactly. Averages keep edges soft on coarse maps, as a coarse map cannot do better.
 */
interface Level {
  data: Float32Array;
  height: number;
  width: number;
}

export function halveMap(src: Float32Array, h: number, w: number): Level {
  const oh = Math.ceil(h / 2),
    ow = Math.ceil(w / 2);
  const out = new Float32Array(oh * ow);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let sum = 0,
        n = 0;
      for (let dy = 0; dy < 2; dy++) {
        const sy = 2 * y + dy;
        if (sy >= h) continue;
        for (let dx = 0; dx < 2; dx++) {
          const sx = 2 * x + dx;
          if (sx >= w) continue;
          sum += src[sy * w + sx];
          n++;
        }
      }
      out[y * ow + x] = sum / n;
    }
  }
  return { data: out, height: oh, width: ow };
}

/**
 * Targets for maps of the given sizes from full-resolution 0/1 masks (one per batch item, h x w):
 * each size must be the input halved k times (ceil), as the model's step sizes are.
 */
export function targetPyramid(masks: readonly Uint8Array[], h: number, w: number, sizes: readonly [number, number][]): tf.Tensor4D[] {
  const levels: Level[][] = masks.map((m) => {
    if (m.length !== h * w) throw new Error(`mask has ${m.length} pixels, expected ${h}x${w}`);
    const chain: Level[] = [{ data: Float32Array.from(m, (v) => (v > 0 ? 1 : 0)), height: h, width: w }];
    while (chain[chain.length - 1].height > 1 || chain[chain.length - 1].width > 1) {
      const last = chain[chain.length - 1];
      chain.push(halveMap(last.data, last.height, last.width));
    }
    return chain;
  });
  return sizes.map(([th, tw]) => {
    const k = levels[0].findIndex((l) => l.height === th && l.width === tw);
    if (k < 0) throw new Error(`no target of size ${th}x${tw} in the halving chain of ${h}x${w}`);
    const data = new Float32Array(masks.length * th * tw);
    levels.forEach((chain, b) => {
      data.set(chain[k].data, b * th * tw);
    });
    return tf.tensor4d(data, [masks.length, th, tw, 1]);
  });
}

/** Mean sigmoid cross-entropy of logits x against targets y in [0, 1]: the FCAN loss's stable form, per pixel. */
export function binaryCrossEntropy(x: tf.Tensor4D, y: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => fcanLoss(tf.reshape(x, [x.shape[0], -1]), tf.reshape(y, [y.shape[0], -1])));
}

/** Sum over the supervised maps of each one's mean cross-entropy. */
export function deepSupervisionLoss(logits: readonly tf.Tensor4D[], targets: readonly tf.Tensor4D[]): tf.Scalar {
  if (logits.length !== targets.length) throw new Error(`${logits.length} maps but ${targets.length} targets`);
  return tf.tidy(
    () =>
      tf.addN(
        logits.map((l, i) => {
          if (!tf.util.arraysEqual(l.shape, targets[i].shape)) throw new Error(`map ${i}: logits [${l.shape}] vs target [${targets[i].shape}]`);
          return binaryCrossEntropy(l, targets[i]);
        }),
      ) as tf.Scalar,
  );
}

/** Every parameter trains at the base rate; weight decay on the kernels. */
export function saliencyObjective(model: DhsnetModel, weightDecay: number): CustomObjective {
  const sizes = stepSizes(model.config);
  const [h, w] = model.config.inputSize;
  return {
    name: 'saliency',
    plan: [...model.params].map(([name, info]) => ({ name, info, lrMult: 1, weightDecay: info.kind === 'weights' ? weightDecay : 0 })),
    loss: (x, samples) => {
      const masks = samples.map((s, i) => {
        if (!s.cue) throw new Error(`sample ${i} has no mask`);
        return s.cue;
      });
      const targets = targetPyramid(masks, h, w, sizes);
      return deepSupervisionLoss(model.forward(x), targets);
    },
  };
}
