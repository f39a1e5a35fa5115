// FCAN and segmentation losses against hand computations; gradient routing (DCSP-SPEC D4); which
// parameters train with what multiplier and decay; the TF momentum form.

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../../lib/model/build.ts';
import { fcanLoss, segLoss } from '../../lib/model/losses.ts';
import { planParams } from '../../lib/model/optimiser.ts';
import { useTestBackend } from '../tensor/test-backend.ts';
import { Prng, seededNormal } from '../../lib/tensor/random.ts';
import { MomentumSgd } from '../../lib/tensor/sgd.ts';
import { VOC_CLASSES } from '../../lib/types.ts';

beforeAll(async () => {
  await useTestBackend();
});

describe('losses', () => {
  it('fcanLoss is the mean sigmoid cross-entropy over batch x 20', () => {
    const rng = new Prng(5);
    const x = Array.from({ length: 40 }, () => rng.normal() * 4);
    const y = Array.from({ length: 40 }, () => (rng.next() < 0.3 ? 1 : 0));
    let hand = 0;
    for (let i = 0; i < 40; i++) hand += y[i] === 1 ? Math.log(1 + Math.exp(-x[i])) : Math.log(1 + Math.exp(x[i]));
    hand /= 40;
    const got = fcanLoss(tf.tensor2d(x, [2, 20]), tf.tensor2d(y, [2, 20])).dataSync()[0];
    expect(got).toBeCloseTo(hand, 5);
    // large scores stay finite
    expect(Number.isFinite(fcanLoss(tf.fill([1, 20], 200) as tf.Tensor2D, tf.zeros([1, 20])).dataSync()[0])).toBe(true);
  });

  it('segLoss is the mean pixel softmax cross-entropy', () => {
    const rng = new Prng(6);
    const z = Array.from({ length: 3 * 21 }, () => rng.normal() * 2);
    const labels = [0, 7, 20];
    let hand = 0;
    for (let p = 0; p < 3; p++) {
      const row = z.slice(p * 21, p * 21 + 21);
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
      hand += lse - row[labels[p]];
    }
    hand /= 3;
    const got = segLoss(tf.tensor4d(z, [1, 1, 3, 21]), tf.tensor3d(labels, [1, 1, 3], 'int32')).dataSync()[0];
    expect(got).toBeCloseTo(hand, 5);
    // a void pixel (255, the oracle's ground truth) is left out of both the sum and the count
    const z4 = [...z, ...z.slice(0, 21)];
    const withVoid = segLoss(tf.tensor4d(z4, [1, 1, 4, 21]), tf.tensor3d([...labels, 255], [1, 1, 4], 'int32')).dataSync()[0];
    expect(withVoid).toBeCloseTo(hand, 5);
  });
});

describe('gradient routing', () => {
  it('code routing: l_c leaves backbone and ASPP gradients unchanged; paper routing: it does not', () => {
    const m = buildModel('deeplab-lite', { classes: VOC_CLASSES.length, seed: 2 });
    const x = seededNormal<tf.Rank.R4>([2, 24, 24, 3], 60, 3);
    const [oh, ow] = m.outputSize(24, 24);
    const rng = new Prng(4);
    const labels = tf.tensor3d(
      Array.from({ length: 2 * oh * ow }, () => (rng.next() < 0.5 ? 0 : 5)),
      [2, oh, ow],
      'int32',
    );
    const targets = tf.tensor2d(
      Array.from({ length: 40 }, (_, i) => (i % 20 === 4 ? 1 : 0)),
      [2, 20],
    );
    const names = ['stem/weights', 'res4_b/weights', 'fc1_voc12_c1/weights', 'fc1_voc12_d0/weights'];
    const vars = names.map((n) => m.params.get(n)!.variable);
    const grads = (f: () => tf.Scalar) => {
      const { value, grads: g } = tf.variableGrads(f, vars);
      value.dispose();
      return names.map((_, i) => g[vars[i].name]);
    };
    const segOnly = grads(() => segLoss(m.forward(x).logits, labels));
    const code = grads(() => {
      const o = m.forward(x, { detachAttention: true });
      return tf.add(segLoss(o.logits, labels), fcanLoss(o.scores, targets)) as tf.Scalar;
    });
    const paper = grads(() => {
      const o = m.forward(x);
      return tf.add(segLoss(o.logits, labels), fcanLoss(o.scores, targets)) as tf.Scalar;
    });
    const diff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
    const norm = (a: tf.Tensor) => tf.max(tf.abs(a)).dataSync()[0];
    for (let i = 0; i < 3; i++) {
      expect(diff(code[i], segOnly[i])).toBe(0);
      expect(diff(paper[i], segOnly[i])).toBeGreaterThan(1e-4 * norm(segOnly[i]));
    }
    // the head learns l_c under both routings
    expect(segOnly[3]).toBeUndefined();
    expect(norm(code[3])).toBeGreaterThan(0);
    expect(diff(code[3], paper[3])).toBeLessThan(1e-6 * norm(code[3]) + 1e-12);
    m.dispose();
  });
});

describe('planParams', () => {
  it('sets multipliers, decay and scope per stage', () => {
    const m = buildModel('deeplab-lite', { classes: VOC_CLASSES.length, seed: 1 });
    const by = (p: ReturnType<typeof planParams>) => Object.fromEntries(p.map((q) => [q.name, q]));
    const code = by(planParams(m, { objective: 'seg', routing: 'code', weightDecay: 5e-4 }));
    expect(code['stem/weights']).toMatchObject({ lrMult: 1, weightDecay: 0 });
    expect(code['fc1_voc12_c0/weights']).toMatchObject({ lrMult: 10, weightDecay: 0 });
    expect(code['fc1_voc12_c0/biases']).toMatchObject({ lrMult: 20, weightDecay: 0 });
    expect(code['fc1_voc12_d0/weights']).toMatchObject({ lrMult: 10, weightDecay: 5e-4 });
    expect(code['fc1_voc12_d0/biases']).toMatchObject({ lrMult: 20, weightDecay: 0 });
    const paper = by(planParams(m, { objective: 'seg', routing: 'paper', weightDecay: 5e-4 }));
    expect(paper['stem/weights'].weightDecay).toBe(5e-4);
    expect(paper['stem/biases'].weightDecay).toBe(0);
    const fcan = planParams(m, { objective: 'fcan', weightDecay: 5e-4 });
    expect(fcan.every((p) => p.info.group !== 'backbone')).toBe(true);
    expect(by(fcan)['fc1_voc12_c2/weights'].weightDecay).toBe(5e-4);
    expect(planParams(m, { objective: 'fcan', scope: 'all', weightDecay: 5e-4 }).length).toBe(planParams(m, { objective: 'seg', weightDecay: 5e-4 }).length);
    const r = buildModel('deeplabv2-resnet101', { classes: VOC_CLASSES.length, widthDivisor: 64 });
    expect(planParams(r, { objective: 'seg', weightDecay: 5e-4 }).some((p) => p.name.startsWith('bn'))).toBe(false);
    r.dispose();
    m.dispose();
  });

  it("VGG16-LargeFOV's fc6/fc7 (random: no notop weights) train in heads-only FCAN pretraining, at the classifier's rate", () => {
    const v = buildModel('deeplab-largefov-vgg16', { classes: VOC_CLASSES.length, widthDivisor: 32 });
    const heads = Object.fromEntries(planParams(v, { objective: 'fcan', weightDecay: 5e-4 }).map((q) => [q.name, q]));
    for (const n of ['fc6/weights', 'fc7/weights', 'fc8_voc12/weights']) expect(heads[n]?.lrMult, n).toBe(10);
    expect(heads['fc6/biases'].lrMult).toBe(20);
    expect(Object.keys(heads).some((n) => n.startsWith('conv'))).toBe(false);
    v.dispose();
  });
});

describe('MomentumSgd TF form', () => {
  it('applies v = m v + (g + wd w), w -= lr lrMult v', () => {
    const a = tf.variable(tf.tensor1d([1, -2]));
    const opt = new MomentumSgd({ a: { variable: a, lrMult: 10, weightDecay: 0.1 } }, { momentum: 0.9, form: 'tf' });
    const g = { a: tf.tensor1d([0.5, 0.25]) };
    opt.step(g, 0.01);
    // v1 = g + 0.1 w = [0.6, 0.05]; w1 = w - 0.1 v1
    const w1 = [1 - 0.1 * 0.6, -2 - 0.1 * 0.05];
    expect(a.dataSync()[0]).toBeCloseTo(w1[0], 6);
    expect(a.dataSync()[1]).toBeCloseTo(w1[1], 6);
    opt.step(g, 0.001);
    const v2 = [0.9 * 0.6 + 0.5 + 0.1 * w1[0], 0.9 * 0.05 + 0.25 + 0.1 * w1[1]];
    expect(a.dataSync()[0]).toBeCloseTo(w1[0] - 0.01 * v2[0], 6);
    expect(a.dataSync()[1]).toBeCloseTo(w1[1] - 0.01 * v2[1], 6);
    opt.dispose();
  });
});
