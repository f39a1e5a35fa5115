// Training on the test backend (wasm, or DCSP_BACKEND's: test-backend.ts) end to end: the reference network's loss falls on a fixed batch, no tensors leak,
// and a run checkpointed mid-way and resumed in a fresh network ends with bit-identical weights.
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, mkdir, rename, rm, writeFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_BACKEND, useTestBackend } from './test-backend.ts';
import { assignWeights, disposeCheckpoint, findCheckpoint, loadCheckpoint, saveCheckpoint } from '../../lib/tensor/checkpoint.ts';
import { createReferenceNet, type ReferenceNet } from '../../lib/tensor/reference-net.ts';
import { seededNormal } from '../../lib/tensor/random.ts';
import { polyLr } from '../../lib/tensor/schedule.ts';
import { MomentumSgd } from '../../lib/tensor/sgd.ts';
import { Adam } from '../../lib/tensor/adam.ts';

const TOTAL = 6;
const BASE_LR = 0.01;
let tmp = '';

beforeAll(async () => {
  await useTestBackend();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dcsp-tensor-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function makeOptimizer(net: ReferenceNet): MomentumSgd {
  // heads learn faster and biases are not decayed, as in DeepLab
  const params: Record<string, { variable: tf.Variable; lrMult?: number; weightDecay?: number }> = {};
  for (const [name, v] of Object.entries(net.variables)) {
    const head = name.startsWith('classifier');
    const bias = name.endsWith('/bias');
    params[name] = { variable: v, lrMult: (head ? 10 : 1) * (bias ? 2 : 1), weightDecay: bias ? 0 : 5e-4 };
  }
  return new MomentumSgd(params, { momentum: 0.9 });
}

function trainStep(net: ReferenceNet, opt: MomentumSgd, x: tf.Tensor4D, it: number): number {
  const { value, grads } = tf.variableGrads(() => net.loss(x), opt.variables());
  opt.step(grads, polyLr(BASE_LR, it, TOTAL));
  const loss = value.dataSync()[0];
  tf.dispose(grads);
  value.dispose();
  return loss;
}

function snapshot(net: ReferenceNet): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(net.variables)) out[k] = v.dataSync() as Float32Array;
  return out;
}

describe(`training the reference network on ${TEST_BACKEND}`, () => {
  it('drives the loss down without leaking tensors', () => {
    const net = createReferenceNet(1);
    const opt = makeOptimizer(net);
    const x = seededNormal<tf.Rank.R4>([2, 24, 24, 3], 1, 99);
    const losses: number[] = [];
    const counts: number[] = [];
    for (let it = 0; it <= TOTAL; it++) {
      losses.push(trainStep(net, opt, x, it));
      counts.push(tf.memory().numTensors);
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(0.5 * losses[0]);
    expect(new Set(counts).size).toBe(1);
    net.dispose();
    opt.dispose();
    x.dispose();
  });

  it('resumes from a checkpoint to bit-identical weights', async () => {
    const x = seededNormal<tf.Rank.R4>([2, 24, 24, 3], 1, 7);
    // straight run
    const a = createReferenceNet(3);
    const optA = makeOptimizer(a);
    for (let it = 0; it <= TOTAL; it++) trainStep(a, optA, x, it);
    const straight = snapshot(a);

    // interrupted run: 3 iterations, checkpoint, then a fresh process-like start from it
    const b = createReferenceNet(3);
    const optB = makeOptimizer(b);
    for (let it = 0; it < 3; it++) trainStep(b, optB, x, it);
    const dir = path.join(tmp, 'ckpt');
    const state = optB.getState();
    await saveCheckpoint(dir, { weights: b.variables, optimizer: state, iteration: 3, extra: { note: 'mid-way' } });
    tf.dispose(Object.values(state));
    b.dispose();
    optB.dispose();

    const c = createReferenceNet(12345); // different init: everything must come from the checkpoint
    const optC = makeOptimizer(c);
    const ck = await loadCheckpoint(dir);
    assignWeights(c.variables, ck.weights);
    optC.setState(ck.optimizer);
    expect(ck.iteration).toBe(3);
    expect(ck.extra).toEqual({ note: 'mid-way' });
    disposeCheckpoint(ck);
    for (let it = 3; it <= TOTAL; it++) trainStep(c, optC, x, it);
    const resumed = snapshot(c);
    for (const k of Object.keys(straight)) expect(Buffer.from(resumed[k].buffer).equals(Buffer.from(straight[k].buffer))).toBe(true);
    a.dispose();
    optA.dispose();
    c.dispose();
    optC.dispose();
    x.dispose();
  });
});

describe('checkpoint files', () => {
  it('writes model.json + weights.bin in the tfjs manifest layout', async () => {
    const dir = path.join(tmp, 'layout');
    const w = {
      'a/kernel': tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
      'b/bias': tf.tensor1d([5, 6, 7], 'int32'),
    };
    await saveCheckpoint(dir, { weights: w, optimizer: { 'a/kernel/momentum': tf.zeros([2, 2]) }, iteration: 10 });
    expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);
    const json = JSON.parse(await (await import('node:fs/promises')).readFile(path.join(dir, 'model.json'), 'utf8'));
    expect(json.weightsManifest[0].paths).toEqual(['./weights.bin']);
    expect(json.weightsManifest[0].weights).toEqual([
      { name: 'a/kernel', shape: [2, 2], dtype: 'float32', group: 'model' },
      { name: 'b/bias', shape: [3], dtype: 'int32', group: 'model' },
      { name: 'a/kernel/momentum', shape: [2, 2], dtype: 'float32', group: 'optimizer' },
    ]);
    const back = await loadCheckpoint(dir);
    expect(Array.from(back.weights['b/bias'].dataSync())).toEqual([5, 6, 7]);
    expect(back.weights['b/bias'].dtype).toBe('int32');
    disposeCheckpoint(back);
  });

  it('never exposes a half-written checkpoint', async () => {
    const dir = path.join(tmp, 'atomic');
    await saveCheckpoint(dir, { weights: { w: tf.scalar(1) }, iteration: 1 });
    // a save killed before its rename leaves only a temp dir: the old checkpoint still loads
    await mkdir(`${dir}.tmp-999-1`);
    await writeFile(`${dir}.tmp-999-1/weights.bin`, Buffer.alloc(2));
    expect((await loadCheckpoint(dir)).iteration).toBe(1);
    // killed between the two renames: only <dir>.prev exists, and it is what loads
    await rename(dir, `${dir}.prev`);
    expect(await findCheckpoint(dir)).toBe(`${dir}.prev`);
    expect((await loadCheckpoint(dir)).iteration).toBe(1);
    // the next save cleans up both leftovers
    await saveCheckpoint(dir, { weights: { w: tf.scalar(2) }, iteration: 2 });
    const names = (await readdir(tmp)).filter((n) => n.startsWith('atomic'));
    expect(names).toEqual(['atomic']);
    expect((await loadCheckpoint(dir)).iteration).toBe(2);
  });

  it('rejects a truncated weights file', async () => {
    const dir = path.join(tmp, 'truncated');
    await saveCheckpoint(dir, { weights: { w: tf.zeros([4]) }, iteration: 0 });
    await writeFile(path.join(dir, 'weights.bin'), Buffer.alloc(8));
    await expect(loadCheckpoint(dir)).rejects.toThrow(/holds 8 bytes, manifest says 16/);
  });
});

describe('MomentumSgd and polyLr', () => {
  it('applies v = m v + lr lrMult (g + wd w), w -= v, per variable', () => {
    const w0 = [0.5, -1.5, 2];
    const a = tf.variable(tf.tensor1d(w0));
    const b = tf.variable(tf.tensor1d(w0));
    const opt = new MomentumSgd({ a: { variable: a, lrMult: 10, weightDecay: 0.1 }, b }, { momentum: 0.9 });
    const wa = [...w0];
    const va = [0, 0, 0];
    const wb = [...w0];
    const vb = [0, 0, 0];
    const grads = [
      [1, 2, 3],
      [-1, 0.5, 0.25],
    ];
    grads.forEach((g, step) => {
      const lr = polyLr(0.1, step, 1);
      const gt = tf.tensor1d(g);
      opt.step({ a: gt, b: gt }, lr);
      gt.dispose();
      for (let k = 0; k < 3; k++) {
        va[k] = 0.9 * va[k] + lr * 10 * (g[k] + 0.1 * wa[k]);
        wa[k] -= va[k];
        vb[k] = 0.9 * vb[k] + lr * g[k];
        wb[k] -= vb[k];
      }
    });
    Array.from(a.dataSync()).forEach((v, k) => {
      expect(v).toBeCloseTo(wa[k], 5);
    });
    Array.from(b.dataSync()).forEach((v, k) => {
      expect(v).toBeCloseTo(wb[k], 5);
    });
    expect(() => opt.step({ a: tf.ones([3]) }, 0.1)).toThrow(/no gradient for 'b'/);
    opt.dispose();
    a.dispose();
    b.dispose();
  });

  it('polyLr follows base (1 - it/(T+1))^0.9', () => {
    expect(polyLr(0.001, 0, 100)).toBe(0.001);
    expect(polyLr(0.001, 50, 100)).toBeCloseTo(0.001 * (1 - 50 / 101) ** 0.9, 12);
    expect(polyLr(0.001, 100, 100)).toBeGreaterThan(0);
    expect(() => polyLr(0.001, 101, 100)).toThrow(/outside 0..100/);
  });
});

describe('Adam', () => {
  it('follows the bias-corrected update per variable, and resumes exactly from its state', () => {
    const w0 = [0.5, -1.5, 2];
    const a = tf.variable(tf.tensor1d(w0));
    const opt = new Adam({ a: { variable: a, lrMult: 10, weightDecay: 0.1 } });
    const w = [...w0];
    const m = [0, 0, 0];
    const v = [0, 0, 0];
    const grads = [
      [1, 2, 3],
      [-1, 0.5, 0.25],
      [0.3, -0.2, 0.1],
    ];
    grads.slice(0, 2).forEach((g, i) => {
      const gt = tf.tensor1d(g);
      opt.step({ a: gt }, 0.01);
      gt.dispose();
      for (let k = 0; k < 3; k++) {
        const gk = g[k] + 0.1 * w[k];
        m[k] = 0.9 * m[k] + 0.1 * gk;
        v[k] = 0.999 * v[k] + 0.001 * gk * gk;
        w[k] -= (0.01 * 10 * (m[k] / (1 - 0.9 ** (i + 1)))) / (Math.sqrt(v[k] / (1 - 0.999 ** (i + 1))) + 1e-8);
      }
    });
    Array.from(a.dataSync()).forEach((x, k) => {
      expect(x).toBeCloseTo(w[k], 5);
    });
    // a fresh optimiser given the saved state takes the same third step as the original
    const state = opt.getState();
    const b = tf.variable(a.clone());
    const resumed = new Adam({ a: { variable: b, lrMult: 10, weightDecay: 0.1 } });
    resumed.setState(state);
    const g3 = tf.tensor1d(grads[2]);
    opt.step({ a: g3 }, 0.01);
    resumed.step({ a: g3 }, 0.01);
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    expect(() => new Adam({ a }).setState({})).toThrow(/no step count/);
    tf.dispose([g3, ...Object.values(state)]);
    opt.dispose();
    resumed.dispose();
    a.dispose();
    b.dispose();
  });

  it('updates variables of mixed shapes, rates and decays in groups with the bits of a per-variable update', () => {
    // Adam keeps one flat buffer per (lrMult, weightDecay) group (param-groups.ts); the reference
    // here is the same update written per variable with the same tfjs ops and scalars.
    const shapes: number[][] = [[3, 3, 2, 4], [4], [1, 1, 4, 5], [5], [2, 3]];
    const specs = [
      { lrMult: 1, weightDecay: 5e-4 },
      { lrMult: 2, weightDecay: 0 },
      { lrMult: 10, weightDecay: 5e-4 },
      { lrMult: 20, weightDecay: 0 },
      { lrMult: 1, weightDecay: 5e-4 },
    ];
    const init = shapes.map((sh, i) => seededNormal(sh, 1, 30 + i));
    const ours = init.map((t) => tf.variable(t.clone()));
    const theirs = init.map((t) => tf.variable(t.clone()));
    const opt = new Adam(Object.fromEntries(ours.map((v, i) => [`p${i}`, { variable: v, ...specs[i] }])));
    const m: tf.Tensor[] = theirs.map((v) => tf.zerosLike(v));
    const v2: tf.Tensor[] = theirs.map((v) => tf.zerosLike(v));
    for (let t = 1; t <= 3; t++) {
      const grads = shapes.map((sh, i) => seededNormal(sh, 1, 100 * t + i));
      opt.step(Object.fromEntries(grads.map((g, i) => [`p${i}`, g])), 0.01);
      const c1 = 1 - 0.9 ** t;
      const c2 = 1 - 0.999 ** t;
      theirs.forEach((w, i) => {
        tf.tidy(() => {
          const { lrMult, weightDecay } = specs[i];
          const g = weightDecay !== 0 ? tf.add(grads[i], tf.mul(w, tf.scalar(weightDecay))) : grads[i];
          const mi = tf.add(tf.mul(m[i], 0.9), tf.mul(g, 1 - 0.9));
          const vi = tf.add(tf.mul(v2[i], 0.999), tf.mul(tf.square(g), 1 - 0.999));
          m[i].dispose();
          v2[i].dispose();
          m[i] = tf.keep(mi);
          v2[i] = tf.keep(vi);
          const update = tf.div(tf.div(mi, c1), tf.add(tf.sqrt(tf.div(vi, c2)), 1e-8));
          w.assign(tf.sub(w, tf.mul(update, 0.01 * lrMult)));
        });
      });
      tf.dispose(grads);
    }
    ours.forEach((w, i) => {
      expect(Array.from(w.dataSync())).toEqual(Array.from(theirs[i].dataSync()));
    });
    const state = opt.getState();
    expect(state['p2/adam_m'].shape).toEqual(shapes[2]);
    expect(Array.from(state['p2/adam_m'].dataSync())).toEqual(Array.from(m[2].dataSync()));
    tf.dispose([...Object.values(state), ...m, ...v2, ...init]);
    opt.dispose();
    for (const w of [...ours, ...theirs]) w.dispose();
  });
});
