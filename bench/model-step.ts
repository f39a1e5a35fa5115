// The toy profile's network (deeplab-lite-os4; --model deeplab-lite for the stride-8 one) at its
// training shape (batch 8 of 80x80 crops) on one wasm thread: the
// forward alone and a full training iteration of the 'seg' objective through trainLoop (sampling
// + augmentation, forward, l_s + l_c, gradients, TF-form momentum update), measured alternately in
// one run so both see the same machine load. The figure that matters is the step/forward ratio.
//
//   node --import tsx bench/model-step.ts [--reps N] [--model deeplab-lite|deeplab-lite-os4]

import * as tf from '@tensorflow/tfjs';
import { loadavg } from 'node:os';
import { augment, sampleRng } from '../lib/model/augment.ts';
import { buildModel } from '../lib/model/build.ts';
import { deeplabLiteMacs } from '../lib/model/deeplab-lite.ts';
import { countParams } from '../lib/model/params.ts';
import { trainLoop, type Sampler } from '../lib/model/train-loop.ts';
import { initBackend } from '../lib/tensor/backend.ts';
import { seededNormal } from '../lib/tensor/random.ts';

const args = process.argv.slice(2);
const repsArg = args.indexOf('--reps');
const REPS = repsArg >= 0 ? Number(args[repsArg + 1]) : 5;
const modelArg = args.indexOf('--model');
const MODEL = modelArg >= 0 ? args[modelArg + 1] : 'deeplab-lite-os4';
if (MODEL !== 'deeplab-lite' && MODEL !== 'deeplab-lite-os4') throw new Error(`--model: deeplab-lite or deeplab-lite-os4, not ${MODEL}`);
const BATCH = 8;
const CROP = 80;
const SRC = 96;

await initBackend({ prefer: 'wasm', log: (l) => console.log(l) });
const model = buildModel(MODEL, { seed: 1 });
const macs = deeplabLiteMacs(CROP, CROP, MODEL === 'deeplab-lite' ? 8 : 4);
console.log(`${MODEL}: ${(countParams(model.params) / 1e6).toFixed(3)} M parameters, ${(BATCH * macs / 1e9).toFixed(2)} GMAC per forward of ${BATCH}x${CROP}x${CROP}`);
console.log(`load average at start: ${loadavg().map((v) => v.toFixed(2)).join(' ')} (shared machine)`);

const src = new Uint8Array(SRC * SRC * 3).map((_, i) => (i * 7) % 256);
const cue = new Uint8Array(SRC * SRC).map((_, i) => ((i >> 5) % 3 === 0 ? 4 : 0));
const sampler: Sampler = (it, slot) => {
  const a = augment({ width: SRC, height: SRC, data: src }, { width: SRC, height: SRC, data: cue }, { crop: CROP }, sampleRng(1, it, slot));
  return { image: a.image, cue: a.label, classes: [4] };
};

const x = seededNormal<tf.Rank.R4>([BATCH, CROP, CROP, 3], 50, 2);
async function forward(): Promise<number> {
  const t = performance.now();
  const y = model.forward(x);
  await y.scores.data();
  tf.dispose([y.logits, y.attention, y.scores]);
  return performance.now() - t;
}
// One-iteration runs of trainLoop: each measurement is one full step, sampling and optimiser set-up
// included (no checkpoint dir, so nothing is written).
async function step(): Promise<number> {
  const t = performance.now();
  await trainLoop({ model, objective: 'seg', optimizer: 'adam', iterations: 1, batch: BATCH, crop: CROP, sampler });
  return performance.now() - t;
}

await forward();
await step();
const fw: number[] = [];
const st: number[] = [];
for (let i = 0; i < REPS; i++) {
  fw.push(await forward());
  st.push(await step());
}
const med = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
const min = (a: number[]) => Math.min(...a);
console.log(`forward  (batch ${BATCH}): median ${med(fw).toFixed(0)} ms, best ${min(fw).toFixed(0)} ms (${(BATCH * macs / 1e6 / min(fw)).toFixed(1)} GMAC/s)`);
console.log(`training step:        median ${med(st).toFixed(0)} ms, best ${min(st).toFixed(0)} ms -> ${(1000 / med(st)).toFixed(2)} it/s`);
console.log(`step / forward: ${(med(st) / med(fw)).toFixed(2)}x (median), ${(min(st) / min(fw)).toFixed(2)}x (best)`);
console.log(`load average at end: ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
model.dispose();
