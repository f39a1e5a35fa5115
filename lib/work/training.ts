// What fcan-pretrain, train and retrain do with the training loop: pick the model and its starting
// weights, feed augmented crops of the train images (and their cues) in a reproducible order,
// checkpoint into the stage's work dir (so a killed run resumes), and commit the final weights and
// the loss curve as the artifact.
import { roundTo } from '../format.ts';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { CUES } from '../layouts/cues.ts';
import { Dataset } from '../layouts/dataset.ts';
import { CHECKPOINT_DIR, CURVE_FILE, INIT_FILE } from '../layouts/model.ts';
import type { StageContext } from '../contract/stage.ts';
import type { Json } from '../store/canonical-json.ts';
import type { ItemArrayReader } from '../store/artifact.ts';
import { initBackend } from '../tensor/backend.ts';
import * as tf from '@tensorflow/tfjs';
import { loadCheckpoint, saveCheckpoint } from '../tensor/checkpoint.ts';
import { Prng, deriveSeed } from '../tensor/random.ts';
import type { Map8, RgbImage } from '../types.ts';
import { augment, sampleRng } from '../model/augment.ts';
import { buildModel, loadModelCheckpoint } from '../model/build.ts';
import { resolveImagenetWeights } from '../model/init-download.ts';
import { loadKerasWeights, type InitReport } from '../model/keras-weights.ts';
import type { ModelName, SegmentationModel } from '../model/model.ts';
import { trainLoop, type TrainLoopOptions, type TrainSample } from '../model/train-loop.ts';
import { checkpointProbe } from './checkpoint-probe.ts';
import type { RunWork } from '../contract/stage.ts';

/** The optimisation settings every training reads (the stages declare them: stages/shared/params.ts `Training`). */
export interface LoopParams {
  iterations: number;
  batch: number;
  lr: number;
  optimizer: 'sgd' | 'adam';
  momentum: number;
  weightDecay: number;
  power: number;
  scale: [number, number];
  mirror: boolean;
  checkpointEvery: number;
  divergeFactor: number;
  seed: number;
}

/** fcan-pretrain's params: the classifier it builds, and from what */
export interface FcanParams extends LoopParams {
  crop: number;
  model: ModelName;
  headsOnly: boolean;
  init?: string;
  widthDivisor: number;
}

/** train's and retrain's params: a segmentation training from the init model */
export interface SegParams extends LoopParams {
  crop: number;
  routing: 'code' | 'paper';
  optimizerState: 'fresh' | 'keep';
}

/** fcan-pretrain's work */
export const fcanTraining: RunWork<FcanParams> = { run: (ctx) => runTraining(ctx, { objective: 'fcan', own: ctx.params }) };
/** train's and retrain's work */
export const segTraining: RunWork<SegParams> = { run: (ctx) => runTraining(ctx, { objective: 'seg', own: ctx.params }) };

/** the objective, with the params only its stages have */
type Objective = { objective: 'fcan'; own: FcanParams } | { objective: 'seg'; own: SegParams };

/** Image decode is the sampler's main cost, so decoded images stay in memory up to a budget. */
class ImageCache {
  private readonly images = new Map<string, RgbImage>();
  private bytes = 0;
  constructor(
    private readonly dataset: Dataset,
    private readonly budget = 1.5 * 2 ** 30,
  ) {}
  async get(id: string): Promise<RgbImage> {
    const hit = this.images.get(id);
    if (hit) return hit;
    const img = await this.dataset.readImage(id);
    if (this.bytes + img.data.length <= this.budget) {
      this.images.set(id, img);
      this.bytes += img.data.length;
    }
    return img;
  }
}

/** Sample k of the run is the (k mod N)-th image of a fresh permutation per epoch: no sampler state to resume. */
type LoopSettings = Pick<
  TrainLoopOptions,
  'optimizer' | 'lr' | 'power' | 'momentum' | 'weightDecay' | 'checkpointDir' | 'checkpointEvery' | 'divergeFactor' | 'progress' | 'scalars' | 'signal'
>;

/** What every training stage passes to trainLoop straight from its params and context. */
export function loopSettings(
  ctx: StageContext<unknown>,
  p: Pick<LoopParams, 'optimizer' | 'lr' | 'power' | 'momentum' | 'weightDecay' | 'checkpointEvery' | 'divergeFactor'>,
): LoopSettings {
  return {
    optimizer: p.optimizer,
    lr: p.lr,
    power: p.power,
    momentum: p.momentum,
    weightDecay: p.weightDecay,
    divergeFactor: p.divergeFactor,
    checkpointDir: join(ctx.workDir, 'checkpoints'),
    checkpointEvery: p.checkpointEvery,
    progress: ctx.progress,
    scalars: ctx.scalars,
    signal: ctx.signal,
  };
}

export function epochOrder(ids: readonly string[], seed: number): (index: number) => string {
  const cache = new Map<number, string[]>();
  return (index) => {
    const epoch = Math.floor(index / ids.length);
    let order = cache.get(epoch);
    if (!order) {
      order = [...ids];
      const rng = new Prng(deriveSeed(seed >>> 0, 1_000_000 + epoch));
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rng.next() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      cache.clear();
      cache.set(epoch, order);
    }
    return order[index % ids.length];
  };
}

async function runTraining(ctx: StageContext<LoopParams & { crop: number }>, start: Objective): Promise<Record<string, Json>> {
  const p = ctx.params;
  const { objective } = start;
  await initBackend({ log: ctx.log });
  const dataset = await Dataset.open(ctx.inputs.dataset);
  const ids = dataset.ids('train');
  if (!ids.length) throw new Error('the dataset has no train images');
  const images = new ImageCache(dataset);
  const order = epochOrder(ids, p.seed);
  let cues: ItemArrayReader | null = null;
  if (objective === 'seg') {
    cues = await CUES.reader(ctx.inputs.cues);
    const missing = ids.filter((id) => !cues!.has(id));
    if (missing.length) throw new Error(`cues missing for ${missing.length} train images (first: ${missing[0]})`);
  }

  let model: SegmentationModel;
  let modelName: string;
  let widthDivisor = 1;
  let init: InitReport | null = null;
  if (start.objective === 'fcan') {
    const { own } = start;
    modelName = own.model;
    widthDivisor = own.widthDivisor;
    model = buildModel(own.model, { seed: p.seed, widthDivisor, classes: dataset.index.classNames.length });
    if (own.init) {
      const file = await resolveImagenetWeights(own.model, own.init, join(ctx.dataDir, 'weights'));
      init = await loadKerasWeights(model, file);
      ctx.log(`init: ${init.loaded.length} tensors from ${file}, ${init.randomInit.length} random`);
      // every parameter at iteration 0, so a run shows what it started from (hashes: small, comparable)
      await ctx.out.json(INIT_FILE, {
        file: basename(file),
        loaded: init.loaded.length,
        randomInit: init.randomInit,
        sha256: weightHashes(model, [...model.params.keys()]),
      });
    }
  } else {
    const ck = await loadModelCheckpoint(join(ctx.inputs.init.dir, CHECKPOINT_DIR));
    model = ck.model;
    modelName = model.name;
    widthDivisor = ck.widthDivisor;
  }
  let initialState: tf.NamedTensorMap | undefined;
  try {
    if (start.objective === 'seg' && start.own.optimizerState === 'keep')
      initialState = await initOptimizerState(join(ctx.inputs.init.dir, CHECKPOINT_DIR), p.optimizer);
    const sampler = async (iteration: number, slot: number): Promise<TrainSample> => {
      const id = order(iteration * p.batch + slot);
      const image = await images.get(id);
      let label: Map8 | null = null;
      if (cues) {
        const c = await cues.read(id);
        label = { height: c.shape[0], width: c.shape[1], data: c.data as Uint8Array };
      }
      const a = augment(image, label, { crop: p.crop, scale: p.scale, mirror: p.mirror }, sampleRng(p.seed, iteration, slot));
      return { image: a.image, cue: a.label, classes: dataset.labels(id) };
    };
    const t0 = performance.now();
    const result = await trainLoop({
      model,
      objective,
      routing: start.objective === 'seg' ? start.own.routing : undefined,
      // the code trains only the heads in fcan-pretrain; from-scratch models must train everything
      scope: start.objective === 'fcan' && start.own.headsOnly ? 'heads' : 'all',
      iterations: p.iterations,
      batch: p.batch,
      crop: p.crop,
      sampler,
      ...loopSettings(ctx, p),
      // measured only for the curves (ctx.scalars): inference on val images, the weights untouched
      checkpointScalars: ctx.scalars ? checkpointProbe(dataset, model, objective) : undefined,
      runTag: { seed: p.seed, scaleLo: p.scale[0], scaleHi: p.scale[1], mirror: p.mirror },
      initialOptimizerState: initialState,
      // a segmentation network's optimiser state goes with its weights, for a retrain that keeps it
      exportOptimizerState: objective === 'seg',
    });
    const seconds = (performance.now() - t0) / 1000;
    try {
      await saveCheckpoint(await ctx.out.path(CHECKPOINT_DIR), {
        weights: model.weights(),
        optimizer: result.optimizerState,
        iteration: result.iterations,
        extra: { config: { model: modelName, widthDivisor, optimizer: p.optimizer } },
      });
    } finally {
      if (result.optimizerState) tf.dispose(Object.values(result.optimizerState));
    }
    await ctx.out.json(CURVE_FILE, result.curve);
    const tail = result.curve.slice(-Math.max(1, Math.floor(result.curve.length / 10)));
    const finalLoss = tail.reduce((a, c) => a + c.loss, 0) / tail.length;
    const ran = result.iterations - result.resumedFrom;
    ctx.log(
      `${ctx.stage}: ${ran} iterations in ${seconds.toFixed(0)} s (${(ran / Math.max(seconds, 1e-9)).toFixed(2)} it/s)${result.resumedFrom ? `, resumed from ${result.resumedFrom}` : ''}; final loss ${finalLoss.toFixed(4)}`,
    );
    return {
      model: modelName,
      ...(init ? { initLoaded: init.loaded.length } : {}),
      iterations: result.iterations,
      resumedFrom: result.resumedFrom,
      finalLoss: roundTo(finalLoss),
      itPerSecond: roundTo(ran / Math.max(seconds, 1e-9)),
    };
  } finally {
    model.dispose();
    if (initialState) tf.dispose(Object.values(initialState));
  }
}

/** The optimiser state a segmentation training committed with its weights, for optimizerState: keep. */
async function initOptimizerState(dir: string, optimizer: LoopParams['optimizer']): Promise<tf.NamedTensorMap> {
  const ck = await loadCheckpoint(dir);
  tf.dispose(Object.values(ck.weights));
  const saved = (ck.extra.config as { optimizer?: unknown } | undefined)?.optimizer;
  if (Object.keys(ck.optimizer).length === 0 || saved === undefined) {
    tf.dispose(Object.values(ck.optimizer));
    throw new Error(`optimizerState: keep, but the init model ${dir} holds no optimiser state (only a segmentation training's does)`);
  }
  if (saved !== optimizer) {
    tf.dispose(Object.values(ck.optimizer));
    throw new Error(`optimizerState: keep, but the init model was trained with ${String(saved)} and this stage uses ${optimizer}`);
  }
  return ck.optimizer;
}

/** sha256 of each named parameter's float32 bytes (as loaded: before any update). */
function weightHashes(model: SegmentationModel, names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of [...names].sort()) {
    const v = model.params.get(n)!.variable.dataSync() as Float32Array;
    out[n] = createHash('sha256')
      .update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength))
      .digest('hex');
  }
  return out;
}
