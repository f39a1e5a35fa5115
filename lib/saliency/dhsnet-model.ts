// DHSNet (Liu and Han, "DHSNet: Deep Hierarchical Saliency Network for Salient Object Detection",
// CVPR 2016), built from the paper's description:
//
//  GV-CNN (global view): VGG16's 13 3x3 convs (ReLU; 2x2 max-pools between blocks, none after
//  block 5), then one fully connected layer from conv5_3 (14x14x512 at 224x224) to 784 = 28x28
//  values: the coarse map S_G at conv4_3's resolution.
//  HRCNN (hierarchical refinement): four steps at conv4_3 (28), conv3_3 (56), conv2_2 (112) and
//  conv1_2 (224) resolution. Each step squeezes the encoder feature to 64 channels with a 1x1 conv
//  and a sigmoid (so features of very different magnitudes are comparable), concatenates the
//  previous step's saliency map (upsampled to this resolution), and runs a recurrent convolutional
//  layer (Liang and Hu, CVPR 2015): u = W_f * input, s_0 = ReLU(u), s_t = ReLU(u + W_r * s_{t-1})
//  for t = 1..3 (3x3 filters, 64 channels); a 1x1 conv to one channel gives the step's map.
//  Every step's map goes through a sigmoid and is supervised (deep supervision): five maps.
//
// Where the paper leaves a choice or we deviate (also in lib/saliency/README.md): the upsampling
// between steps is bilinear to the exact size of the next encoder feature (so odd sizes work);
// the RCL's local response normalisation is left out (the recurrent filters start at half the He
// scale instead, which keeps the unrolled steps bounded); every map is produced as logits, so the
// loss uses the stable sigmoid cross-entropy and the next step sees sigmoid(logits).
// `dhsnet-lite` is the same design, narrower and shallower (two convs per block), with a 1/64 input
// scale as deeplab-lite has, since it trains from scratch without batch norm.

import * as tf from '@tensorflow/tfjs';
import { applyConv, type ConvLayer } from '../model/ops.ts';
import { ParamStore, type ParamInfo } from '../model/params.ts';

import type { DhsnetVariant } from './spec.ts';

export { DHSNET_VARIANTS, type DhsnetVariant } from './spec.ts';

export interface DhsnetConfig {
  variant: DhsnetVariant;
  /** network input [height, width]; the global view's fully connected layer fixes it */
  inputSize: [number, number];
  /** encoder blocks as [convs, channels]; five, VGG16's for the full model */
  blocks: [number, number][];
  /** channels of each refinement step (the paper: 64) */
  rclChannels: number;
  /** recurrent iterations of each RCL after its feed-forward pass (the paper: 3) */
  rclSteps: number;
  /** multiplies the (BGR, mean-subtracted) input; 1 for ImageNet-initialised encoders */
  inputScale: number;
}

export const DHSNET_CONFIGS: Record<DhsnetVariant, DhsnetConfig> = {
  dhsnet: {
    variant: 'dhsnet',
    inputSize: [224, 224],
    blocks: [
      [2, 64],
      [2, 128],
      [3, 256],
      [3, 512],
      [3, 512],
    ],
    rclChannels: 64,
    rclSteps: 3,
    inputScale: 1,
  },
  'dhsnet-lite': {
    variant: 'dhsnet-lite',
    inputSize: [64, 64],
    blocks: [
      [2, 16],
      [2, 32],
      [2, 48],
      [2, 64],
      [2, 64],
    ],
    rclChannels: 16,
    rclSteps: 3,
    inputScale: 1 / 64,
  },
};

/** widthDivisor > 1 divides every channel count (same layers and names): small copies for tests. */
export function dhsnetConfig(variant: DhsnetVariant, inputSize?: [number, number], widthDivisor = 1): DhsnetConfig {
  const base = DHSNET_CONFIGS[variant];
  const d = widthDivisor;
  const narrow =
    d === 1
      ? base
      : {
          ...base,
          blocks: base.blocks.map(([n, c]) => [n, Math.max(1, Math.floor(c / d))] as [number, number]),
          rclChannels: Math.max(1, Math.floor(base.rclChannels / d)),
        };
  return inputSize ? { ...narrow, inputSize } : narrow;
}

/** [height, width] of each encoder block's output: 2x2 'same' pools, so a ceil chain. */
export function blockSizes(cfg: DhsnetConfig): [number, number][] {
  const out: [number, number][] = [];
  let [h, w] = cfg.inputSize;
  for (let b = 0; b < cfg.blocks.length; b++) {
    if (b > 0) [h, w] = [Math.ceil(h / 2), Math.ceil(w / 2)];
    out.push([h, w]);
  }
  return out;
}

/**
 * Sizes of the five supervised maps, coarse to fine: S_G at the fourth block's resolution, then the
 * four refinement steps at blocks 4, 3, 2, 1.
 */
export function stepSizes(cfg: DhsnetConfig): [number, number][] {
  const b = blockSizes(cfg);
  return [b[3], b[3], b[2], b[1], b[0]];
}

interface RefineStep {
  squeeze: ConvLayer;
  feed: ConvLayer;
  recurrent: ConvLayer;
  out: ConvLayer;
}

export interface DhsnetModel {
  readonly name: DhsnetVariant;
  readonly config: DhsnetConfig;
  readonly params: ReadonlyMap<string, ParamInfo>;
  /** logits of the five maps [B, h_k, w_k, 1], coarse (S_G) to fine (full input resolution) */
  forward(x: tf.Tensor4D): tf.Tensor4D[];
  /** the final map, sigmoid applied: [B, H, W, 1] */
  predict(x: tf.Tensor4D): tf.Tensor4D;
  weights(): tf.NamedTensorMap;
  dispose(): void;
}

export function buildDhsnet(cfg: DhsnetConfig, seed = 0): DhsnetModel {
  if (cfg.blocks.length !== 5) throw new Error(`DHSNet needs 5 encoder blocks (got ${cfg.blocks.length})`);
  const store = new ParamStore(cfg.variant, seed);
  const sizes = blockSizes(cfg);
  const encoder: { convs: ConvLayer[] }[] = [];
  let cin = 3;
  cfg.blocks.forEach(([n, c], b) => {
    const convs: ConvLayer[] = [];
    // VGG16's names, so the Keras ImageNet file maps onto the full model
    for (let i = 1; i <= n; i++) {
      convs.push(store.conv(`conv${b + 1}_${i}`, 3, cin, c, { group: 'backbone', bias: true }));
      cin = c;
    }
    encoder.push({ convs });
  });
  const [h5, w5] = sizes[4];
  const [h4, w4] = sizes[3];
  // the fully connected layer as a [1, 1, in, out] kernel: the checkpoint layout of a dense layer;
  // small init, so the untrained coarse map starts near 0.5 rather than saturated
  const fc = store.conv('fc_global', 1, h5 * w5 * cfg.blocks[4][1], h4 * w4, { group: 'head', bias: true, scale: 0.1 });
  const C = cfg.rclChannels;
  const steps: RefineStep[] = [3, 2, 1, 0].map((b, k) => ({
    squeeze: store.conv(`rcl${k + 1}_squeeze`, 1, cfg.blocks[b][1], C, { group: 'head', bias: true }),
    feed: store.conv(`rcl${k + 1}_feed`, 3, C + 1, C, { group: 'head', bias: true }),
    recurrent: store.conv(`rcl${k + 1}_recurrent`, 3, C, C, { group: 'head', bias: false, scale: 0.5 }),
    out: store.conv(`rcl${k + 1}_out`, 1, C, 1, { group: 'head', bias: true }),
  }));

  const forward = (x: tf.Tensor4D): tf.Tensor4D[] => {
    const [H, W] = cfg.inputSize;
    if (x.shape[1] !== H || x.shape[2] !== W) throw new Error(`${cfg.variant} takes ${H}x${W} inputs (got ${x.shape[1]}x${x.shape[2]})`);
    const B = x.shape[0];
    const feats: tf.Tensor4D[] = [];
    let h: tf.Tensor4D = cfg.inputScale === 1 ? x : tf.mul(x, cfg.inputScale);
    encoder.forEach((blk, b) => {
      if (b > 0) h = tf.maxPool(h, 2, 2, 'same');
      for (const c of blk.convs) h = tf.relu(applyConv(h, c));
      feats.push(h);
    });
    const flat = tf.reshape(feats[4], [B, h5 * w5 * cfg.blocks[4][1]]) as tf.Tensor2D;
    const coarse = tf.add(tf.matMul(flat, tf.reshape(fc.w, [h5 * w5 * cfg.blocks[4][1], h4 * w4]) as tf.Tensor2D), fc.b!);
    const logits: tf.Tensor4D[] = [tf.reshape(coarse, [B, h4, w4, 1])];
    [3, 2, 1, 0].forEach((b, k) => {
      const step = steps[k];
      const [th, tw] = sizes[b];
      let prev = tf.sigmoid(logits[logits.length - 1]) as tf.Tensor4D;
      if (prev.shape[1] !== th || prev.shape[2] !== tw) prev = tf.image.resizeBilinear(prev, [th, tw]);
      const squeezed = tf.sigmoid(applyConv(feats[b], step.squeeze)) as tf.Tensor4D;
      const u = applyConv(tf.concat([squeezed, prev], 3), step.feed);
      let s: tf.Tensor4D = tf.relu(u);
      for (let t = 0; t < cfg.rclSteps; t++) s = tf.relu(tf.add(u, applyConv(s, step.recurrent))) as tf.Tensor4D;
      logits.push(applyConv(s, step.out));
    });
    return logits;
  };

  return {
    name: cfg.variant,
    config: cfg,
    params: store.params,
    forward,
    predict: (x) =>
      tf.tidy(() => {
        const all = forward(x);
        return tf.sigmoid(all[all.length - 1]) as tf.Tensor4D;
      }),
    weights() {
      const out: tf.NamedTensorMap = {};
      for (const [n, p] of store.params) out[n] = p.variable;
      return out;
    },
    dispose: () => store.dispose(),
  };
}
