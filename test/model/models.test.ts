// Model shapes, output stride (ceil chain of TF SAME), parameter counts, FCAN head wiring.

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { deeplabLiteMacs } from '../../lib/model/deeplab-lite.ts';
import { buildModel } from '../../lib/model/build.ts';
import { countParams } from '../../lib/model/params.ts';
import { useTestBackend } from '../tensor/test-backend.ts';
import { seededNormal } from '../../lib/tensor/random.ts';
import { VOC_CLASSES } from '../../lib/types.ts';

beforeAll(async () => {
  await useTestBackend();
});

const ceil8 = (n: number) => Math.ceil(Math.ceil(Math.ceil(n / 2) / 2) / 2);

describe('model shapes', () => {
  it('deeplab-lite: output stride 8 on odd sizes, head = 1x1 conv of the logits, scores = GAP', () => {
    const m = buildModel('deeplab-lite', { classes: VOC_CLASSES.length, seed: 3 });
    const x = seededNormal<tf.Rank.R4>([2, 97, 75, 3], 50, 1);
    const out = m.forward(x);
    expect(m.outputSize(97, 75)).toEqual([13, 10]);
    expect(out.logits.shape).toEqual([2, 13, 10, 21]);
    expect(out.attention.shape).toEqual([2, 13, 10, 20]);
    expect(out.scores.shape).toEqual([2, 20]);
    const w = m.params.get('fc1_voc12_d0/weights')!.variable;
    const b = m.params.get('fc1_voc12_d0/biases')!.variable;
    expect(w.shape).toEqual([1, 1, 21, 20]);
    const manual = tf.add(tf.matMul(tf.reshape(out.logits, [-1, 21]), tf.reshape(w, [21, 20])), b);
    expect(tf.max(tf.abs(tf.sub(manual, tf.reshape(out.attention, [-1, 20])))).dataSync()[0]).toBeLessThan(1e-4);
    expect(tf.max(tf.abs(tf.sub(tf.mean(out.attention, [1, 2]), out.scores))).dataSync()[0]).toBeLessThan(1e-5);
    expect(m.outputSize(96, 64)).toEqual([12, 8]);
    tf.dispose([x, out.logits, out.attention, out.scores, manual]);
    m.dispose();
  });

  it('deeplab-lite-os4: output stride 4 on odd sizes, 48 wide after down2, about the stride-8 cost', () => {
    const m = buildModel('deeplab-lite-os4', { classes: VOC_CLASSES.length, seed: 3 });
    const x = seededNormal<tf.Rank.R4>([1, 97, 75, 3], 50, 1);
    const out = m.forward(x);
    expect(m.outputSize(97, 75)).toEqual([25, 19]);
    expect(out.logits.shape).toEqual([1, 25, 19, 21]);
    expect(out.scores.shape).toEqual([1, 20]);
    expect(m.params.get('res4_b/weights')!.variable.shape).toEqual([3, 3, 48, 48]);
    const ratio = deeplabLiteMacs(80, 80, 4, VOC_CLASSES.length) / deeplabLiteMacs(80, 80, 8, VOC_CLASSES.length);
    expect(ratio).toBeGreaterThan(1);
    expect(ratio).toBeLessThan(1.25);
    tf.dispose([x, out.logits, out.attention, out.scores]);
    m.dispose();
  });

  it('deeplab-largefov-vgg16: stride 8 chain, fc8 -> 21, parameter count', () => {
    const m = buildModel('deeplab-largefov-vgg16', { classes: VOC_CLASSES.length, seed: 1 });
    const x = seededNormal<tf.Rank.R4>([1, 41, 33, 3], 50, 2);
    const y = m.segLogits(x);
    expect(y.shape).toEqual([1, ceil8(41), ceil8(33), 21]);
    expect(m.outputSize(41, 33)).toEqual([ceil8(41), ceil8(33)]);
    // VGG16 convs 14,714,688 + fc6 3x3x512x1024 + fc7 1024x1024 + fc8 1024x21 (+ biases) + head 440
    expect(countParams(m.params)).toBe(14714688 + (9 * 512 * 1024 + 1024) + (1024 * 1024 + 1024) + (1024 * 21 + 21) + 440);
    expect(m.params.get('fc6/weights')!.variable.shape).toEqual([3, 3, 512, 1024]);
    tf.dispose([x, y]);
    m.dispose();
  });

  it('deeplabv2-resnet101: about 43.9 M parameters without BN, 104 frozen BNs, stride 8', () => {
    const m = buildModel('deeplabv2-resnet101', { classes: VOC_CLASSES.length, seed: 1 });
    // backbone convs 42,394,816 + ASPP 4 x (3x3x2048x21 + 21) + head 21x20 + 20 (computed by hand)
    expect(countParams(m.params)).toBe(43943628);
    const bnLayers = new Set([...m.params].filter(([, p]) => p.kind === 'bn').map(([n]) => n.split('/')[0]));
    expect(bnLayers.size).toBe(104);
    expect([...m.params.values()].filter((p) => p.kind === 'bn').every((p) => !p.variable.trainable)).toBe(true);
    // Caffe names and the stride on res3a's first 1x1
    expect(m.params.get('res3a_branch2a/weights')!.variable.shape).toEqual([1, 1, 256, 128]);
    expect(m.params.get('res4b22_branch2c/weights')!.variable.shape).toEqual([1, 1, 256, 1024]);
    expect(m.params.get('fc1_voc12_c3/weights')!.variable.shape).toEqual([3, 3, 2048, 21]);
    const x = seededNormal<tf.Rank.R4>([1, 33, 25, 3], 50, 2);
    const out = m.forward(x);
    expect(out.logits.shape).toEqual([1, 5, 4, 21]);
    expect(out.attention.shape).toEqual([1, 5, 4, 20]);
    expect(m.outputSize(321, 321)).toEqual([41, 41]);
    expect(m.outputSize(375, 500)).toEqual([47, 63]);
    tf.dispose([x, out.logits, out.attention, out.scores]);
    m.dispose();
  });

  it('narrow copies keep every parameter name', () => {
    const full = buildModel('deeplab-largefov-vgg16', { classes: VOC_CLASSES.length });
    const small = buildModel('deeplab-largefov-vgg16', { classes: VOC_CLASSES.length, widthDivisor: 16 });
    expect([...small.params.keys()]).toEqual([...full.params.keys()]);
    full.dispose();
    small.dispose();
    expect(() => buildModel('deeplab-lite', { classes: VOC_CLASSES.length, widthDivisor: 3 })).toThrow(/power of two/);
  });
});
