// Conv2d gradients written as forward convolutions (conv-grads.ts), the wasm kernels built on them,
// and atrousConv2d, all checked against float64 loops that apply the definition, on the test
// backend (wasm, or DCSP_BACKEND's, e.g. tfjs-node's native kernels) and on cpu.
// Relative error = max|a - b| / max(max|b|, 1e-6), b the float64 reference; bound 1e-4.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../lib/tensor/backend.ts';
import { TEST_BACKEND } from './test-backend.ts';
import { atrousConv2d } from '../../lib/tensor/atrous.ts';
import { conv2dFilterGrad, conv2dInputGrad, type ConvPadding } from '../../lib/tensor/conv-grads.ts';
import { Prng, seededNormalArray } from '../../lib/tensor/random.ts';
import { refConvFilterGrad, refConvForward, refConvInputGrad, relError, type RefConv } from './reference-conv.ts';

const TOL = 1e-4;

interface Case {
  x: [number, number, number, number];
  f: [number, number, number, number];
  stride: number;
  dilation: number;
  pad: ConvPadding;
}

function geometry(c: Case): RefConv {
  const info = tf.backend_util.computeConv2DInfo(c.x, c.f, c.stride, c.dilation, c.pad);
  return {
    batch: c.x[0],
    inH: c.x[1],
    inW: c.x[2],
    inC: c.x[3],
    kh: c.f[0],
    kw: c.f[1],
    outC: c.f[3],
    strides: [c.stride, c.stride],
    dilations: [c.dilation, c.dilation],
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
    outH: info.outHeight,
    outW: info.outWidth,
  };
}

// The combinations the brief asks for, then random odd shapes drawn from a fixed seed.
const FIXED: Case[] = [
  { x: [2, 9, 11, 3], f: [3, 3, 3, 4], stride: 1, dilation: 1, pad: 'same' },
  { x: [2, 9, 11, 3], f: [3, 3, 3, 4], stride: 1, dilation: 1, pad: 'valid' },
  { x: [3, 9, 11, 3], f: [3, 3, 3, 4], stride: 2, dilation: 1, pad: 'same' },
  { x: [2, 10, 13, 3], f: [3, 3, 3, 4], stride: 2, dilation: 1, pad: 'valid' },
  { x: [2, 15, 13, 3], f: [7, 7, 3, 4], stride: 2, dilation: 1, pad: 'same' },
  { x: [2, 11, 9, 3], f: [1, 1, 3, 5], stride: 2, dilation: 1, pad: 'same' },
  { x: [2, 13, 11, 3], f: [3, 3, 3, 4], stride: 1, dilation: 2, pad: 'same' },
  { x: [2, 13, 11, 3], f: [3, 3, 3, 4], stride: 1, dilation: 2, pad: 'valid' },
  { x: [2, 15, 17, 2], f: [3, 3, 2, 3], stride: 1, dilation: 4, pad: 'same' },
  { x: [2, 15, 17, 2], f: [3, 3, 2, 3], stride: 1, dilation: 4, pad: 'valid' },
  { x: [3, 17, 15, 2], f: [3, 3, 2, 5], stride: 1, dilation: 6, pad: 'same' },
  { x: [2, 27, 29, 2], f: [3, 3, 2, 3], stride: 1, dilation: 12, pad: 'same' },
  { x: [2, 27, 29, 2], f: [3, 3, 2, 3], stride: 1, dilation: 12, pad: 'valid' },
];

function randomCases(n: number, seed: number): Case[] {
  const rng = new Prng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rng.next() * xs.length)];
  const out: Case[] = [];
  for (let i = 0; i < n; i++) {
    const dilation = pick([1, 1, 2, 4, 6, 12]);
    const stride = dilation === 1 ? pick([1, 2, 3]) : 1;
    const kh = pick([1, 2, 3, 3, 5]);
    const kw = pick([kh, 3]);
    const h = (kh - 1) * dilation + 2 + 2 * Math.floor(rng.next() * 6);
    const w = (kw - 1) * dilation + 1 + 2 * Math.floor(rng.next() * 6);
    const cin = pick([1, 3, 4]);
    out.push({ x: [pick([2, 3]), h, w, cin], f: [kh, kw, cin, pick([2, 5])], stride, dilation, pad: pick(['same', 'valid']) });
  }
  return out;
}

const CASES = [...FIXED, ...randomCases(12, 20240501)];
const label = (c: Case) => `x${JSON.stringify(c.x)} f${JSON.stringify(c.f)} s${c.stride} d${c.dilation} ${c.pad}`;

function data(c: Case, seed: number) {
  const g = geometry(c);
  const xa = seededNormalArray(
    c.x.reduce((a, b) => a * b),
    1,
    seed,
  );
  const wa = seededNormalArray(
    c.f.reduce((a, b) => a * b),
    1,
    seed + 1,
  );
  const dya = seededNormalArray(g.batch * g.outH * g.outW * g.outC, 1, seed + 2);
  return { g, xa, wa, dya };
}

describe.each([TEST_BACKEND, 'cpu'] as const)('conv gradients on %s', (backend) => {
  beforeAll(async () => {
    const info = await initBackend({ prefer: backend, log: () => {} });
    expect(info.name).toBe(backend);
  });

  it.each(CASES.map((c) => [label(c), c] as const))('conv2dFilterGrad / conv2dInputGrad %s', (_l, c) => {
    const { g, xa, wa, dya } = data(c, 7);
    const spec = { strides: [c.stride, c.stride] as [number, number], dilations: [c.dilation, c.dilation] as [number, number], pad: c.pad };
    const x = tf.tensor4d(xa, c.x);
    const w = tf.tensor4d(wa, c.f);
    const dy = tf.tensor4d(dya, [g.batch, g.outH, g.outW, g.outC]);
    const dw = conv2dFilterGrad(x, dy, c.f, spec);
    const dx = conv2dInputGrad(dy, w, c.x, spec);
    expect(dw.shape).toEqual(c.f);
    expect(dx.shape).toEqual(c.x);
    expect(relError(dw.dataSync(), refConvFilterGrad(g, xa, dya))).toBeLessThan(TOL);
    expect(relError(dx.dataSync(), refConvInputGrad(g, wa, dya))).toBeLessThan(TOL);
    tf.dispose([x, w, dy, dw, dx]);
  });

  it.each(CASES.map((c) => [label(c), c] as const))('gradients of conv2d / atrousConv2d through tf.grads %s', (_l, c) => {
    if (c.dilation > 1 && c.pad !== 'same' && c.pad !== 'valid') return;
    const { g, xa, wa, dya } = data(c, 11);
    const x = tf.tensor4d(xa, c.x);
    const w = tf.tensor4d(wa, c.f);
    const dy = tf.tensor4d(dya, [g.batch, g.outH, g.outW, g.outC]);
    const pad = c.pad as 'same' | 'valid';
    // tf.conv2d's own gradient when undilated (exercises our wasm kernels), atrousConv2d otherwise.
    const f = (a: tf.Tensor, b: tf.Tensor) =>
      c.dilation > 1 ? atrousConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.dilation, pad) : tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, pad);
    const y = f(x, w);
    expect(relError(y.dataSync(), refConvForward(g, xa, wa))).toBeLessThan(TOL);
    const [gx, gw] = tf.grads(f)([x, w], dy);
    expect(relError(gw.dataSync(), refConvFilterGrad(g, xa, dya))).toBeLessThan(TOL);
    expect(relError(gx.dataSync(), refConvInputGrad(g, wa, dya))).toBeLessThan(TOL);
    tf.dispose([x, w, dy, y, gx, gw]);
  });

  it('explicit (asymmetric) padding and unequal strides', () => {
    const c: Case = {
      x: [2, 15, 13, 3],
      f: [2, 3, 3, 4],
      stride: 1,
      dilation: 1,
      pad: [
        [0, 0],
        [2, 1],
        [0, 3],
        [0, 0],
      ],
    };
    for (const strides of [
      [3, 1],
      [2, 2],
      [1, 2],
    ] as Array<[number, number]>) {
      const info = tf.backend_util.computeConv2DInfo(c.x, c.f, strides, 1, c.pad);
      const g: RefConv = { ...geometry(c), strides, padTop: info.padInfo.top, padLeft: info.padInfo.left, outH: info.outHeight, outW: info.outWidth };
      const xa = seededNormalArray(
        c.x.reduce((a, b) => a * b),
        1,
        3,
      );
      const wa = seededNormalArray(
        c.f.reduce((a, b) => a * b),
        1,
        4,
      );
      const dya = seededNormalArray(g.batch * g.outH * g.outW * g.outC, 1, 5);
      const spec = { strides, dilations: [1, 1] as [number, number], pad: c.pad };
      const x = tf.tensor4d(xa, c.x);
      const w = tf.tensor4d(wa, c.f);
      const dy = tf.tensor4d(dya, [g.batch, g.outH, g.outW, g.outC]);
      const dw = conv2dFilterGrad(x, dy, c.f, spec);
      const dx = conv2dInputGrad(dy, w, c.x, spec);
      expect(relError(dw.dataSync(), refConvFilterGrad(g, xa, dya))).toBeLessThan(TOL);
      expect(relError(dx.dataSync(), refConvInputGrad(g, wa, dya))).toBeLessThan(TOL);
      tf.dispose([x, w, dy, dw, dx]);
    }
  });

  it('leaves no tensors behind', () => {
    const c = FIXED[6];
    const { g, xa, wa, dya } = data(c, 1);
    const x = tf.tensor4d(xa, c.x);
    const w = tf.tensor4d(wa, c.f);
    const dy = tf.tensor4d(dya, [g.batch, g.outH, g.outW, g.outC]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => atrousConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'))([x, w], dy);
      const [hx, hw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'))([x, w]);
      tf.dispose([gx, gw, hx, hw]);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w, dy]);
  });
});
