// Times measured on this machine, with the tensor backend the run would use: a few training steps
// of the real network at the run's crop (the first step left out as warm-up), one forward pass, one
// detector pass, one dense CRF. A step at a large batch is extrapolated from steps at batch 1 and 2
// (a fixed cost per step plus a cost per image: measuring ten 321 px crops of ResNet-101 on a CPU
// would take minutes per step). Each distinct measurement is made once per process.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../model/build.ts';
import type { ModelName } from '../model/model.ts';
import { toNetworkInput } from '../model/preprocess.ts';
import { trainLoop, type CustomObjective, type TrainLoopOptions, type TrainSample } from '../model/train-loop.ts';
import { Prng } from '../tensor/random.ts';
import { type ProgressSink, type RgbImage, VOC_CLASSES } from '../types.ts';

// timings are measured at VOC's class count (the heads and the CRF scale with it; the trunk, most of the time, does not)
const CLASSES = VOC_CLASSES.length;
import { libFile, TSX_LOADER } from '../paths.ts';
import type { Measurer, NetSpec, StepKind } from './estimate.ts';

/** An image of the given size with some structure (the CRF and the detectors see edges). */
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

/** Median seconds of three calls after a warm-up call. */
async function medianTime(f: () => Promise<unknown>): Promise<number> {
  await f();
  const t: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await f();
    t.push((performance.now() - t0) / 1000);
  }
  return t.sort((a, b) => a - b)[1];
}

/** Seconds per step of a loop run for `steps` + 1 iterations, the first one (warm-up) left out. */
async function timedSteps(opts: Omit<TrainLoopOptions, 'iterations' | 'progress'>, steps: number): Promise<number> {
  const ticks: number[] = [];
  const progress: ProgressSink = {
    start() {},
    tick() {
      ticks.push(performance.now());
    },
    done() {},
  };
  const dir = await mkdtemp(join(tmpdir(), 'dcsp-doctor-'));
  try {
    // a near-zero rate: the time of a step does not depend on it, and random weights trained on
    // random crops at a real rate can diverge within the few steps timed (the loop stops on NaN)
    await trainLoop({ ...opts, lr: 1e-12, iterations: steps + 1, progress, checkpointDir: join(dir, 'ck'), checkpointEvery: 1_000_000 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  if (ticks.length < steps + 1) throw new Error(`doctor: the training loop reported ${ticks.length} of ${steps + 1} steps`);
  return (ticks[ticks.length - 1] - ticks[ticks.length - 1 - steps]) / 1000 / steps;
}

function sample(crop: number, seed: number): TrainSample {
  const rng = new Prng(seed);
  const image = new Float32Array(crop * crop * 3).map(() => 255 * rng.next() - 120);
  const cue = new Uint8Array(crop * crop).map(() => (rng.next() < 0.5 ? 0 : 15));
  return { image, cue, classes: [15] };
}

/** The step time at `batch`: measured when it is 1 or 2, else t1 + (batch - 1) (t2 - t1). */
async function extrapolated(at: (batch: number) => Promise<number | null>, batch: number): Promise<number> {
  if (batch <= 2) return (await at(batch))!;
  const t1 = (await at(1))!;
  const t2 = (await at(2))!;
  return Math.max(t1, t1 + (batch - 1) * (t2 - t1));
}

export interface MeasureOptions {
  /** timed steps per training measurement after the warm-up (default 2) */
  steps?: number;
}

/** Measurements on this process's backend (initialise it first). */
export function machineMeasurer(opts: MeasureOptions = {}): Measurer {
  const steps = opts.steps ?? 2;
  const memo = new Map<string, Promise<number | null>>();
  const once = <T extends number | null>(key: string, f: () => Promise<T>): Promise<T> => {
    let p = memo.get(key);
    if (!p) {
      p = f();
      memo.set(key, p);
    }
    return p as Promise<T>;
  };
  return {
    trainStep: (net: NetSpec, kind: StepKind, crop: number, batch: number) => {
      const at = (b: number) =>
        once(`train|${net.model}|${net.widthDivisor}|${kind}|${crop}|${b}`, async () => {
          const model = buildModel(net.model as ModelName, { widthDivisor: net.widthDivisor, classes: CLASSES });
          try {
            return await timedSteps(
              {
                model,
                objective: kind === 'seg' ? 'seg' : 'fcan',
                scope: kind === 'fcan-heads' ? 'heads' : 'all',
                batch: b,
                crop,
                sampler: (it, slot) => sample(crop, it * 16 + slot),
              },
              steps,
            );
          } finally {
            model.dispose();
          }
        });
      return extrapolated(at, batch);
    },
    forward: (net, width, height) =>
      once(`forward|${net.model}|${net.widthDivisor}|${width}x${height}`, async () => {
        const model = buildModel(net.model as ModelName, { widthDivisor: net.widthDivisor, classes: CLASSES });
        const img = syntheticImage(width, height);
        const x = tf.tensor4d(toNetworkInput(img), [1, height, width, 3]);
        try {
          return await medianTime(async () => {
            const y = model.segLogits(x);
            await y.data();
            y.dispose();
          });
        } finally {
          x.dispose();
          model.dispose();
        }
      }),
    saliencyStep: (variant, size, widthDivisor, batch) => {
      const at = (b: number) =>
        once(`saliency|${variant}|${size}|${widthDivisor}|${b}`, async () => {
          const { buildDhsnet, dhsnetConfig } = await import('../saliency/dhsnet-model.ts');
          const { saliencyObjective } = await import('../saliency/dhsnet-loss.ts');
          const model = buildDhsnet(dhsnetConfig(variant as 'dhsnet' | 'dhsnet-lite', [size, size], widthDivisor));
          try {
            const objective: CustomObjective = saliencyObjective(model, 5e-4);
            const mask = (it: number, slot: number): TrainSample => {
              const x = sample(size, it * 16 + slot);
              return { ...x, cue: x.cue!.map((v) => (v ? 1 : 0)) };
            };
            return await timedSteps({ model, objective, batch: b, crop: size, sampler: mask }, steps);
          } finally {
            model.dispose();
          }
        });
      return extrapolated(at, batch);
    },
    detect: (detector, width, height) =>
      once(`detect|${JSON.stringify(detector)}|${width}x${height}`, async () => {
        const img = syntheticImage(width, height);
        const time = (detect: (i: RgbImage) => Promise<unknown>) => medianTime(() => detect(img));
        if (detector.kind === 'boundary') {
          const { boundarySaliency } = await import('../saliency/boundary.ts');
          const { kind: _k, ...params } = detector;
          return time(async (i) => boundarySaliency(i, params));
        }
        if (detector.kind === 'dhsnet') {
          const { buildDhsnet, dhsnetConfig } = await import('../saliency/dhsnet-model.ts');
          const { dhsnetPreprocess, predictMap } = await import('../saliency/dhsnet.ts');
          const variant = (detector.variant ?? 'dhsnet') as 'dhsnet' | 'dhsnet-lite';
          const size = detector.size === undefined ? undefined : ([Number(detector.size), Number(detector.size)] as [number, number]);
          const model = buildDhsnet(dhsnetConfig(variant, size, Number(detector.widthDivisor ?? 1)));
          try {
            const pre = dhsnetPreprocess(model.config);
            return await time((i) => predictMap(model, pre, i));
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
        const t0 = performance.now();
        crfLabels(img, prob, CLASSES);
        return (performance.now() - t0) / 1000;
      }),
  };
}

const CHILD = libFile('doctor/measure-child.ts');

/** The backend a measurement process ran on (the one a run started here would choose). */
export interface MeasuringBackend {
  name: string;
  detail: string;
}

/**
 * The same measurements, each in a child process (memoised here): a measurement that runs the
 * backend out of memory fails alone, with its reason, instead of taking the doctor down.
 */
export function isolatedMeasurer(): Measurer & { backend(): MeasuringBackend | null } {
  const memo = new Map<string, Promise<number | null>>();
  let backend: MeasuringBackend | null = null;
  const call = (method: keyof Measurer, args: unknown[]): Promise<number | null> => {
    const key = JSON.stringify([method, args]);
    let p = memo.get(key);
    if (!p) {
      p = (async () => {
        const { execa } = await import('execa');
        const r = await execa(process.execPath, ['--import', TSX_LOADER, CHILD, JSON.stringify({ method, args })], { reject: false });
        const last = String(r.stdout).trim().split('\n').pop() ?? '';
        let reply: { seconds?: number | null; error?: string; backend?: MeasuringBackend } = {};
        try {
          reply = JSON.parse(last) as typeof reply;
        } catch {
          const why =
            String(r.stderr)
              .split('\n')
              .find((l) => /Error|Aborted/.test(l)) ?? `exit code ${r.exitCode}`;
          throw new Error(`measurement process failed (${why.trim().slice(0, 160)})`);
        }
        if (reply.error !== undefined) throw new Error(reply.error);
        backend = reply.backend ?? backend;
        return reply.seconds ?? null;
      })();
      memo.set(key, p);
    }
    return p;
  };
  return {
    trainStep: (...a) => call('trainStep', a) as Promise<number>,
    forward: (...a) => call('forward', a) as Promise<number>,
    saliencyStep: (...a) => call('saliencyStep', a) as Promise<number>,
    detect: (...a) => call('detect', a),
    crf: (...a) => call('crf', a) as Promise<number>,
    backend: () => backend,
  };
}
