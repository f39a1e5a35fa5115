// Times measured on this machine, with the tensor backend the run would use. A training step is
// timed at the profile's own batch and crop in one process when it fits the backend's memory and
// doctor's time budget; otherwise at the largest batch (then half the side) that does, scaled by
// multiply-adds, and the estimate says so (lib/doctor/fit.ts). A few small steps are profiled
// first (tf.profile: the kernels' multiply-adds, hence the step's and the time it would take to
// time), which also warms the kernels up. A forward pass is timed at every size a stage runs it
// at. Each distinct measurement is made once per process.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { libFile } from '../paths.ts';
import { buildModel, loadModel } from '../model/build.ts';
import { saveCheckpoint } from '../tensor/checkpoint.ts';
import { generateToyDataset } from '../data/toy-generate.ts';
import type { ModelName, SegmentationModel } from '../model/model.ts';
import { toNetworkInput } from '../model/preprocess.ts';
import { augment, sampleRng } from '../model/augment.ts';
import { trainLoop, type CustomObjective, type TrainLoopOptions, type TrainSample } from '../model/train-loop.ts';
import { decodeRgb, encodeJpeg } from '../data/image-io.ts';
import { Prng } from '../tensor/random.ts';
import { type ProgressSink, type RgbImage, VOC_CLASSES } from '../types.ts';
import { chooseStep, stepMacs, throughTwo, type Failed, type StepCosts, type StepName } from './fit.ts';
import { totalMacs } from './macs.ts';
import type { CheckpointCost, Measurer, NetSpec, Timed } from './estimate.ts';

// timings are measured at VOC's class count (the heads and the CRF scale with it; the trunk, most of the time, does not)
const CLASSES = VOC_CLASSES.length;

/** An image of the given size with some structure (the CRF, the detectors and JPEG see edges). */
export function syntheticImage(width: number, height: number, seed = 7): RgbImage {
  const rng = new Prng(seed);
  const data = new Uint8Array(width * height * 3);
  const cx = width * (0.3 + 0.4 * rng.next()),
    cy = height * (0.3 + 0.4 * rng.next()),
    r = Math.min(width, height) / 4;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = (x - cx) ** 2 + (y - cy) ** 2 < r * r;
      const o = 3 * (y * width + x);
      data[o] = inside ? 200 : 60 + 40 * rng.next();
      data[o + 1] = inside ? 80 : 90 + 40 * rng.next();
      data[o + 2] = inside ? 40 : 120 + 40 * rng.next();
    }
  }
  return { width, height, data };
}

const wall = async (f: () => Promise<unknown>): Promise<number> => {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
};

/** Median seconds of three calls after a warm-up call; one call when the warm-up took over 2 s. */
async function timeCall(f: () => Promise<unknown>): Promise<number> {
  const first = await wall(f);
  if (first > 2) return wall(f);
  const t = [await wall(f), await wall(f), await wall(f)];
  return t.sort((a, b) => a - b)[1];
}

/** A call's multiply-adds and seconds, profiled (so slower than it runs). */
async function profiled(f: () => Promise<unknown>): Promise<{ macs: number; seconds: number }> {
  const t0 = performance.now();
  const info = await tf.profile(async () => {
    await f();
    return [];
  });
  return { macs: totalMacs(info.kernels), seconds: (performance.now() - t0) / 1000 };
}

/**
 * Seconds per step of a loop of `steps` timed steps: after a first step left out as warm-up when
 * `warm`, else from the loop's start (a step long enough that the loop's set-up is noise in it).
 */
async function timedSteps(opts: Omit<TrainLoopOptions, 'iterations' | 'progress'>, steps: number, warm: boolean): Promise<number> {
  const ticks: number[] = [];
  const progress: ProgressSink = {
    start() {
      ticks.push(performance.now());
    },
    tick() {
      ticks.push(performance.now());
    },
    done() {},
  };
  // a near-zero rate: the time of a step does not depend on it, and random weights trained on
  // random crops at a real rate can diverge within the few steps timed (the loop stops on NaN)
  await trainLoop({ ...opts, lr: 1e-12, iterations: steps + (warm ? 1 : 0), progress });
  const n = steps + (warm ? 1 : 0);
  if (ticks.length < n + 1) throw new Error(`doctor: the training loop reported ${ticks.length - 1} of ${n} steps`);
  return (ticks[ticks.length - 1] - ticks[ticks.length - 1 - steps]) / 1000 / steps;
}

function sample(crop: number, seed: number): TrainSample {
  const rng = new Prng(seed);
  const image = new Float32Array(crop * crop * 3).map(() => 255 * rng.next() - 120);
  const cue = new Uint8Array(crop * crop).map(() => (rng.next() < 0.5 ? 0 : 15));
  return { image, cue, classes: [15] };
}

export interface MeasureOptions {
  /** seconds doctor may spend on one timed step or pass (a smaller one is timed and scaled above it) */
  budget?: number;
  /** steps that did not fit here, by measurement (`step`, or `size <i>` of a forward measurement) */
  failed?: Record<string, Failed>;
  /** told each step before it is timed (a measurement process prints it, so that its parent knows what ran it out of memory) */
  onAttempt?: (key: string, side: number, batch: number) => void;
}

/** The default budget of one timed step or pass, in seconds. */
export const BUDGET = 20;

type Options = Required<Pick<MeasureOptions, 'budget'>> & MeasureOptions;

/**
 * A step of `batch` at `side` timed as lib/doctor/fit.ts chooses: `step(side, batch, steps, warm)`
 * runs and times steps; profiled at batch 1 (and 2, for what a step spends whatever its batch)
 * at a small side and at batch 1 at twice that side.
 */
async function fittedStep(
  key: string,
  side: number,
  batch: number,
  step: (side: number, batch: number, steps: number, warm: boolean) => Promise<number>,
  o: Options,
  name?: StepName,
): Promise<Timed> {
  const s0 = Math.min(side, Math.max(16, Math.round(side / 6)));
  const s1 = Math.min(side, 2 * s0);
  const profileAt = (s: number, b: number) => profiled(() => step(s, b, 1, false));
  const a1 = await profileAt(s0, 1);
  const a2 = batch > 1 ? await profileAt(s0, 2) : null;
  const b1 = s1 === s0 ? a1 : await profileAt(s1, 1);
  const fixedMacs = a2 ? Math.max(0, 2 * a1.macs - a2.macs) : 0;
  const costs: StepCosts = {
    fixedMacs,
    macs: s1 === s0 ? (s) => (a1.macs - fixedMacs) * (s / s0) ** 2 : throughTwo(s0, a1.macs - fixedMacs, s1, b1.macs - fixedMacs),
    secondsPerMac: b1.seconds / Math.max(1, b1.macs),
  };
  const choice = chooseStep(side, batch, costs, o.budget, o.failed?.[key], name);
  const predicted = stepMacs(costs, choice.side, choice.batch) * costs.secondsPerMac;
  o.onAttempt?.(key, choice.side, choice.batch);
  // short steps: two timed after a warm-up; long ones: one, from the loop's start
  const t = predicted < 2 ? await step(choice.side, choice.batch, 2, true) : await step(choice.side, choice.batch, 1, false);
  return { seconds: t * choice.scale, macs: stepMacs(costs, side, batch), note: choice.note, step: { batch: choice.batch, side: choice.side } };
}

/** Seconds until a worker thread as a per-item stage starts one is ready to compute. */
async function threadStart(): Promise<number> {
  const t0 = performance.now();
  const worker = new Worker(libFile('doctor/thread-start.mjs'));
  try {
    await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    return (performance.now() - t0) / 1000;
  } finally {
    await worker.terminate();
  }
}

/** Measurements on this process's backend (initialise it first). */
export function machineMeasurer(opts: MeasureOptions = {}): Measurer {
  const o: Options = { ...opts, budget: opts.budget ?? BUDGET };
  const memo = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, f: () => Promise<T>): Promise<T> => {
    let p = memo.get(key);
    if (!p) {
      p = f();
      memo.set(key, p);
    }
    return p as Promise<T>;
  };
  const withModel = async <T>(net: NetSpec, f: (m: SegmentationModel) => Promise<T>): Promise<T> => {
    const model = buildModel(net.model as ModelName, { widthDivisor: net.widthDivisor, classes: CLASSES });
    try {
      return await f(model);
    } finally {
      model.dispose();
    }
  };
  return {
    trainStep: (net, kind, crop, batch) =>
      once(`train|${net.model}|${net.widthDivisor}|${kind}|${crop}|${batch}`, () =>
        withModel(net, (model) =>
          fittedStep(
            'step',
            crop,
            batch,
            (side, b, steps, warm) =>
              timedSteps(
                {
                  model,
                  objective: kind === 'seg' ? 'seg' : 'fcan',
                  scope: kind === 'fcan-heads' ? 'heads' : 'all',
                  batch: b,
                  crop: side,
                  sampler: (it, slot) => sample(side, it * 16 + slot),
                },
                steps,
                warm,
              ),
            o,
          ),
        ),
      ),
    forward: (net, sizes) =>
      once(`forward|${net.model}|${net.widthDivisor}|${JSON.stringify(sizes)}`, () =>
        withModel(net, async (model) => {
          const pass = (w: number, h: number) => async () => {
            const x = tf.tensor4d(toNetworkInput(syntheticImage(w, h)), [1, h, w, 3]);
            const y = model.segLogits(x);
            await y.data();
            tf.dispose([x, y]);
          };
          const out: Timed[] = [];
          for (const [i, [w, h]] of sizes.entries()) {
            // a pass is a batch of one: only the half side is left to fall back to
            const side = Math.sqrt(w * h);
            const at = (s: number) => [Math.max(8, Math.round((w * s) / side)), Math.max(8, Math.round((h * s) / side))] as const;
            out.push(
              await fittedStep(
                `size ${i}`,
                side,
                1,
                (s, _b, steps) => {
                  const [sw, sh] = at(s);
                  return steps > 1 ? timeCall(pass(sw, sh)) : wall(pass(sw, sh));
                },
                o,
                (s) => `a pass at ${at(s).join('x')}`,
              ),
            );
          }
          return out;
        }),
      ),
    saliencyStep: (variant, size, widthDivisor, batch) =>
      once(`saliency|${variant}|${size}|${widthDivisor}|${batch}`, async () => {
        const { buildDhsnet, dhsnetConfig } = await import('../saliency/dhsnet-model.ts');
        const { saliencyObjective } = await import('../saliency/dhsnet-loss.ts');
        return fittedStep(
          'step',
          size,
          batch,
          async (side, b, steps, warm) => {
            const model = buildDhsnet(dhsnetConfig(variant as 'dhsnet' | 'dhsnet-lite', [side, side], widthDivisor));
            try {
              const objective: CustomObjective = saliencyObjective(model, 5e-4);
              const mask = (it: number, slot: number): TrainSample => {
                const x = sample(side, it * 16 + slot);
                return { ...x, cue: x.cue!.map((v) => (v ? 1 : 0)) };
              };
              return await timedSteps({ model, objective, batch: b, crop: side, sampler: mask }, steps, warm);
            } finally {
              model.dispose();
            }
          },
          o,
        );
      }),
    detect: (detector, width, height) =>
      once(`detect|${JSON.stringify(detector)}|${width}x${height}`, async (): Promise<Timed | null> => {
        const img = syntheticImage(width, height);
        if (detector.kind === 'boundary') {
          const { boundarySaliency } = await import('../saliency/boundary.ts');
          const { kind: _k, ...params } = detector;
          return { seconds: await timeCall(async () => boundarySaliency(img, params)), macs: 0, note: '' };
        }
        if (detector.kind === 'dhsnet') {
          const { buildDhsnet, dhsnetConfig } = await import('../saliency/dhsnet-model.ts');
          const { dhsnetPreprocess, predictMap } = await import('../saliency/dhsnet.ts');
          const variant = (detector.variant ?? 'dhsnet') as 'dhsnet' | 'dhsnet-lite';
          const size = detector.size === undefined ? undefined : ([Number(detector.size), Number(detector.size)] as [number, number]);
          const model = buildDhsnet(dhsnetConfig(variant, size, Number(detector.widthDivisor ?? 1)));
          try {
            const pre = dhsnetPreprocess(model.config);
            const { macs } = await profiled(() => predictMap(model, pre, img));
            return { seconds: await timeCall(() => predictMap(model, pre, img)), macs, note: '' };
          } finally {
            model.dispose();
          }
        }
        // onnx / tfjs models are the user's files: not loaded for an estimate
        return null;
      }),
    crf: (width, height) =>
      once(`crf|${width}x${height}`, async () => {
        const { crfLabels } = await import('../crf/dense-crf.ts');
        const img = syntheticImage(width, height);
        const rng = new Prng(3);
        const prob = new Float32Array(width * height * CLASSES).map(() => 0.01 + rng.next());
        return wall(async () => crfLabels(img, prob, CLASSES));
      }),
    decode: (width, height) =>
      once(`decode|${width}x${height}`, async () => {
        const jpeg = await encodeJpeg(syntheticImage(width, height));
        return timeCall(() => decodeRgb(jpeg));
      }),
    augment: (width, height, crop) =>
      once(`augment|${width}x${height}|${crop}`, async () => {
        const img = syntheticImage(width, height);
        const label = { width, height, data: new Uint8Array(width * height) };
        let k = 0;
        return timeCall(async () => augment(img, label, { crop, scale: [0.5, 1.5], mirror: true }, sampleRng(1, k++, 0)));
      }),
    checkpoint: (net, optimizerSlots) =>
      once(`checkpoint|${net.model}|${net.widthDivisor}|${optimizerSlots}`, () =>
        withModel(net, async (model): Promise<CheckpointCost> => {
          const dir = await mkdtemp(join(tmpdir(), 'dcsp-doctor-checkpoint-'));
          try {
            const weights = model.weights();
            // optimiser state as a training saves it: `optimizerSlots` tensors the size of each weight
            const optimizer: tf.NamedTensorMap = {};
            for (let k = 0; k < optimizerSlots; k++) for (const [n, w] of Object.entries(weights)) optimizer[`${n}/slot${k}`] = tf.zerosLike(w);
            try {
              const config = { model: net.model, widthDivisor: net.widthDivisor };
              const save = await timeCall(() => saveCheckpoint(dir, { weights, optimizer, iteration: 1, extra: { config } }));
              const load = await timeCall(async () => (await loadModel(dir)).dispose());
              return { save, load };
            } finally {
              tf.dispose(Object.values(optimizer));
            }
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        }),
      ),
    toyImage: (options) =>
      once(`toy|${JSON.stringify(options)}`, async () => {
        // a few images of the run's sizes and settings, written as the dataset stage writes them
        const n = 6;
        const dir = await mkdtemp(join(tmpdir(), 'dcsp-doctor-toy-'));
        try {
          const seconds = await timeCall(() => generateToyDataset(dir, { ...options, counts: { train: n, val: 0, test: 0 } }));
          return seconds / n;
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }),
    // this process is started already: its own start is the isolated measurer's to measure
    startup: async () => ({ process: 0, thread: await threadStart() }),
  };
}
