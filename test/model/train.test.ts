// The training loop on a micro task: loss goes down, a run killed after a checkpoint resumes to the
// same final weights as a straight run, a NaN loss stops with a clear error keeping the last good
// checkpoint, progress fields, no tensor leaks.

import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { augment, sampleRng } from '../../lib/model/augment.ts';
import { buildModel, loadModel } from '../../lib/model/build.ts';
import {
  DivergedLossError,
  NonFiniteLossError,
  NonFiniteWeightsError,
  trainLoop,
  type CustomObjective,
  type Sampler,
  type TrainSample,
} from '../../lib/model/train-loop.ts';
import { useTestBackend } from '../tensor/test-backend.ts';
import { loadCheckpoint, disposeCheckpoint } from '../../lib/tensor/checkpoint.ts';
import type { ProgressSink } from '../../lib/types.ts';
import { VOC_CLASSES } from '../../lib/types.ts';

const SIZE = 40;
const CROP = 32;
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'model-train-'));
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  await useTestBackend();
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A coloured square of class c (colour by class) on grey; its cue is the square. */
function toyImage(seed: number, iteration: number, slot: number): { sample: TrainSample } {
  const rng = sampleRng(seed, iteration, slot);
  const c = 1 + Math.floor(rng.next() * 3);
  const colour = [
    [220, 30, 30],
    [30, 220, 30],
    [30, 30, 220],
  ][c - 1];
  const data = new Uint8Array(SIZE * SIZE * 3).fill(128);
  const label = new Uint8Array(SIZE * SIZE);
  const x0 = Math.floor(rng.next() * 20),
    y0 = Math.floor(rng.next() * 20);
  for (let y = y0; y < y0 + 16; y++)
    for (let x = x0; x < x0 + 16; x++) {
      const i = y * SIZE + x;
      data.set(colour, 3 * i);
      label[i] = c;
    }
  const a = augment({ width: SIZE, height: SIZE, data }, { width: SIZE, height: SIZE, data: label }, { crop: CROP }, rng);
  return { sample: { image: a.image, cue: a.label, classes: [c] } };
}

const sampler: Sampler = (it, slot) => toyImage(9, it, slot).sample;
const common = { objective: 'seg' as const, batch: 2, crop: CROP, lr: 2e-3, runTag: { seed: 9 }, sampler };

async function weightsOf(m: ReturnType<typeof buildModel>): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [n, p] of m.params) out.set(n, (await p.variable.data()) as Float32Array);
  return out;
}

describe('trainLoop', () => {
  it('lowers the loss on a micro task and reports progress', async () => {
    const m = buildModel('deeplab-lite', { classes: VOC_CLASSES.length, seed: 1 });
    const ticks: Record<string, number | string>[] = [];
    const progress: ProgressSink = {
      start() {},
      tick(_n, f) {
        if (f) ticks.push(f);
      },
      done() {},
    };
    const before = tf.memory().numTensors;
    const r = await trainLoop({ model: m, ...common, iterations: 24, progress });
    expect(tf.memory().numTensors).toBe(before);
    const first = r.curve.slice(0, 3).reduce((s, c) => s + c.loss, 0) / 3;
    const last = r.curve.slice(-3).reduce((s, c) => s + c.loss, 0) / 3;
    expect(last).toBeLessThan(0.7 * first);
    expect(r.curve.map((c) => c.iteration)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(r.curve[0].lr).toBeCloseTo(2e-3 * (1 - 1 / 25) ** 0.9, 12);
    expect(ticks.length).toBe(24);
    expect(Object.keys(ticks[0])).toEqual(['loss', 'lr', 'it/s', 'eta']);
    m.dispose();
  });

  it('resumes from its checkpoint to the same final weights as a straight run', async () => {
    const straightDir = tmp();
    const a = buildModel('deeplab-lite', { classes: VOC_CLASSES.length, seed: 4 });
    const ra = await trainLoop({ model: a, ...common, iterations: 6, checkpointDir: straightDir, checkpointEvery: 2 });
    const wa = await weightsOf(a);

    const dir = tmp();
    const b = buildModel('deeplab-lite', { classes: VOC_CLASSES.length, seed: 4 });
    const crashing: Sampler = (it, slot) => {
      if (it === 5) throw new Error('killed');
      return sampler(it, slot);
    };
    await expect(trainLoop({ model: b, ...common, iterations: 6, checkpointDir: dir, checkpointEvery: 2, sampler: crashing })).rejects.toThrow('killed');
    b.dispose();
    const ck = await loadCheckpoint(dir);
    expect(ck.iteration).toBe(4);
    disposeCheckpoint(ck);

    const c = buildModel('deeplab-lite', { classes: VOC_CLASSES.length, seed: 99 }); // different init: everything must come from the checkpoint
    const rc = await trainLoop({ model: c, ...common, iterations: 6, checkpointDir: dir, checkpointEvery: 2, sampler });
    expect(rc.resumedFrom).toBe(4);
    expect(rc.curve).toEqual(ra.curve);
    const wc = await weightsOf(c);
    for (const [n, v] of wa) expect(wc.get(n), n).toEqual(v);

    // a finished run's checkpoint loads as a model by name
    const loaded = await loadModel(straightDir);
    expect(loaded.name).toBe('deeplab-lite');
    const wl = await weightsOf(loaded);
    for (const [n, v] of wa) expect(wl.get(n), n).toEqual(v);
    // a different run configuration refuses to resume
    await expect(trainLoop({ model: c, ...common, lr: 1e-3, iterations: 6, checkpointDir: dir, sampler })).rejects.toThrow(/different run \(lr/);
    a.dispose();
    c.dispose();
    loaded.dispose();
  });

  it("a second run given the first one's optimiser state continues it: 2 + 2 iterations equal 4 straight", async () => {
    // power 0: a constant rate, so the two schedules (over 2 and over 4 iterations) are the same
    const opts = { ...common, optimizer: 'adam' as const, power: 0 };
    const a = buildModel('deeplab-lite', { classes: VOC_CLASSES.length, seed: 5 });
    await trainLoop({ model: a, ...opts, iterations: 4 });
    const wa = await weightsOf(a);

    const b = buildModel('deeplab-lite', { classes: VOC_CLASSES.length, seed: 5 });
    const first = await trainLoop({ model: b, ...opts, iterations: 2, exportOptimizerState: true });
    expect(first.optimizerState!['adam/step'].dataSync()[0]).toBe(2);
    const snapshot = await weightsOf(b);
    const later: Sampler = (it, slot) => sampler(it + 2, slot);
    const before = tf.memory().numTensors;
    await trainLoop({ model: b, ...opts, iterations: 2, sampler: later, initialOptimizerState: first.optimizerState });
    expect(tf.memory().numTensors).toBe(before);
    const wb = await weightsOf(b);
    for (const [n, v] of wa) {
      const got = wb.get(n)!;
      for (let i = 0; i < v.length; i++) expect(Math.abs(got[i] - v[i]), n).toBeLessThan(1e-6);
    }

    // the same second run from a fresh state (today's retrain) does not: Adam's first steps are full-size
    const c = buildModel('deeplab-lite', { classes: VOC_CLASSES.length, seed: 5 });
    for (const [n, v] of snapshot) c.params.get(n)!.variable.assign(tf.tensor(v, c.params.get(n)!.variable.shape));
    await trainLoop({ model: c, ...opts, iterations: 2, sampler: later });
    const wc = await weightsOf(c);
    const maxDiff = Math.max(...[...wa].map(([n, v]) => Math.max(...v.map((x, i) => Math.abs(wc.get(n)![i] - x)))));
    expect(maxDiff).toBeGreaterThan(1e-4);
    tf.dispose(Object.values(first.optimizerState!));
    a.dispose();
    b.dispose();
    c.dispose();
  });

  it('stops on a NaN loss with a clear error, keeping the last good checkpoint', async () => {
    const dir = tmp();
    const m = buildModel('deeplab-lite', { classes: VOC_CLASSES.length, seed: 5 });
    const poisoned: Sampler = (it, slot) => {
      const s = toyImage(9, it, slot).sample;
      if (it === 3 && slot === 1) s.image[7] = Number.NaN;
      return s;
    };
    const before = tf.memory().numTensors;
    const err = await trainLoop({ model: m, ...common, iterations: 6, checkpointDir: dir, checkpointEvery: 2, sampler: poisoned }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect((err as Error).message).toMatch(/loss is NaN at iteration 3.*last good checkpoint \(iteration 2\)/);
    expect(tf.memory().numTensors).toBe(before);
    const ck = await loadCheckpoint(dir);
    expect(ck.iteration).toBe(2);
    // the bad update was not applied: the model still holds the iteration-2 weights
    for (const [n, p] of m.params) expect(await p.variable.data(), n).toEqual(await ck.weights[n].data());
    disposeCheckpoint(ck);
    m.dispose();
  });

  it('stops a diverging run (loss far above its recent median) before the update, keeping a good checkpoint', async () => {
    const dir = tmp();
    const m = buildModel('deeplab-lite', { classes: VOC_CLASSES.length, seed: 5 });
    // from iteration 6 the inputs are a million times too bright: a finite loss far off its scale
    const blown: Sampler = (it, slot) => {
      const s = toyImage(9, it, slot).sample;
      if (it >= 6) {
        s.image.forEach((v, i) => {
          s.image[i] = v * 1e6;
        });
      }
      return s;
    };
    const err = await trainLoop({ model: m, ...common, sampler: blown, iterations: 10, checkpointDir: dir, checkpointEvery: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DivergedLossError);
    const d = err as DivergedLossError;
    expect(d.iteration).toBe(6);
    expect(d.lastCheckpoint).toBe(4);
    expect(Number.isFinite(d.value)).toBe(true);
    expect(d.value).toBeGreaterThan(100 * d.reference);
    expect(d.message).toMatch(/training diverged at iteration \d+: loss .* is over 100x the median .*last good checkpoint \(iteration \d+\)/);
    const ck = await loadCheckpoint(dir);
    expect(ck.iteration).toBe(d.lastCheckpoint);
    for (const [n, w] of Object.entries(ck.weights)) expect((await w.data()).every(Number.isFinite), n).toBe(true);
    disposeCheckpoint(ck);
    m.dispose();
  });

  it('never writes a checkpoint (or the final model) whose weights are not finite', async () => {
    // a loss that is finite while its gradient is not (0 * d sqrt(|w|)/dw at w = 0): the update
    // poisons the weights one step before any loss could show it
    const w = tf.variable(tf.zeros([1]), true, `finite-check-${Date.now()}`);
    const model = { name: 'one-weight', params: new Map([['w', { variable: w, kind: 'weights' as const, group: 'head' as const }]]), weights: () => ({ w }) };
    const objective: CustomObjective = {
      name: 'sqrt-at-zero',
      plan: [{ name: 'w', info: model.params.get('w')!, lrMult: 1, weightDecay: 0 }],
      loss: (x) => tf.add(tf.mul(tf.sqrt(tf.abs(w)).sum(), 0), tf.mean(x).mul(0).add(1)) as tf.Scalar,
    };
    const dir = tmp();
    const err = await trainLoop({ model, objective, batch: 1, crop: CROP, sampler, iterations: 4, checkpointDir: dir, checkpointEvery: 1 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NonFiniteWeightsError);
    expect((err as Error).message).toMatch(/weights are not finite after iteration 1 \(w\); that checkpoint is not written\. No checkpoint was written\./);
    const { findCheckpoint } = await import('../../lib/tensor/checkpoint.ts');
    expect(await findCheckpoint(dir)).toBeNull();
    // without a checkpoint folder the final weights are checked all the same
    w.assign(tf.zeros([1]));
    await expect(trainLoop({ model, objective, batch: 1, crop: CROP, sampler, iterations: 1 })).rejects.toBeInstanceOf(NonFiniteWeightsError);
    w.dispose();
  });

  it('fcan objective trains only the heads by default', async () => {
    const m = buildModel('deeplab-lite', { classes: VOC_CLASSES.length, seed: 6 });
    const stem = (await m.params.get('stem/weights')!.variable.data()).slice();
    const head = (await m.params.get('fc1_voc12_d0/weights')!.variable.data()).slice();
    const r = await trainLoop({ model: m, ...common, objective: 'fcan', iterations: 2 });
    expect(r.curve[0].segLoss).toBeNull();
    expect(await m.params.get('stem/weights')!.variable.data()).toEqual(stem);
    expect(await m.params.get('fc1_voc12_d0/weights')!.variable.data()).not.toEqual(head);
    m.dispose();
  });
});
