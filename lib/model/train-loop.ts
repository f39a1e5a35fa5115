// The training loop shared by fcan-pretrain, train and retrain. One iteration: draw `batch` samples
// (a pure function of iteration and slot, so resuming needs no sampler state), forward, the
// objective's loss, gradients of the trained variables, check the loss is finite and has not
// diverged, update with
// momentum SGD (or Adam) at the poly rate. Every `checkpointEvery` iterations and at the end it saves weights,
// momentum buffers, the iteration and the loss curve; a new call with the same checkpoint dir
// continues from there and ends with the same weights as a run that was never interrupted.

import * as tf from '@tensorflow/tfjs';
import { assignWeights, disposeCheckpoint, findCheckpoint, loadCheckpoint, saveCheckpoint } from '../tensor/checkpoint.ts';
import { polyLr } from '../tensor/schedule.ts';
import { Adam } from '../tensor/adam.ts';
import { MomentumSgd, type MomentumForm } from '../tensor/sgd.ts';
import { formatDuration } from '../format.ts';
import { silentProgress, type ProgressSink } from '../types.ts';
import type { ScalarSink } from '../scalar-sink.ts';
import { classTargets, downsampleCues, fcanLoss, l2Term, segLoss } from './losses.ts';
import type { SegmentationModel } from './model.ts';
import type { ParamInfo } from './params.ts';
import { planParams, type Objective, type ParamPlan, type Routing, type TrainScope } from './optimiser.ts';

export interface TrainSample {
  /** crop x crop x 3, BGR mean-subtracted (augment().image) */
  image: Float32Array;
  /** crop x crop cue labels (0 background, class ids, 255 void); required for the 'seg' objective (a custom objective's per-pixel target) */
  cue?: Uint8Array | null;
  /** class ids (1 = the first foreground class) present in the image */
  classes: readonly number[];
}

export type Sampler = (iteration: number, slot: number) => TrainSample | Promise<TrainSample>;

/** What a custom objective trains: named parameters, and a name checkpoints record. */
export interface TrainableModel {
  readonly name: string;
  readonly params: ReadonlyMap<string, ParamInfo>;
  weights(): tf.NamedTensorMap;
}

/**
 * An objective other than DCSP's two (the saliency detector's, lib/saliency): it names the trained
 * parameters and gives the batch loss, and the loop does the rest (schedule, momentum, checkpoints,
 * resume, the NaN stop, progress) exactly as for fcan and seg.
 */
export interface CustomObjective {
  readonly name: string;
  readonly plan: readonly ParamPlan[];
  /** the batch loss from the stacked images [B, crop, crop, 3]; runs inside tf.variableGrads */
  loss(x: tf.Tensor4D, samples: readonly TrainSample[]): tf.Scalar;
}

export interface TrainLoopOptions {
  /** a SegmentationModel for 'fcan' and 'seg' */
  model: SegmentationModel | TrainableModel;
  /** 'fcan': eq. 1 only; 'seg': l_s + l_c (eq. 2); or a custom objective */
  objective: Objective | CustomObjective;
  /** default 'code' (docs/method.md D4) */
  routing?: Routing;
  /** default: 'heads' for fcan (the code), 'all' for seg */
  scope?: TrainScope;
  iterations: number;
  batch: number;
  crop: number;
  sampler: Sampler;
  /** base learning rate, default 1e-3 */
  lr?: number;
  /** poly power, default 0.9 */
  power?: number;
  momentum?: number;
  /** default 5e-4 */
  weightDecay?: number;
  /** default 'tf' (TensorFlow's MomentumOptimizer, as DCSP's code) */
  form?: MomentumForm;
  /** default 'sgd' (momentum SGD, the paper's); 'adam' for networks trained from scratch */
  optimizer?: OptimizerName;
  /**
   * optimiser state to start from (momentum buffers, or Adam's moments and step count), as another
   * run's `optimizerState`: retrain keeping train's (docs/adapt-study.md). A resumed run takes its
   * checkpoint's instead. Without it the state starts at zero, as in DCSP's code.
   */
  initialOptimizerState?: tf.NamedTensorMap;
  /** return the final optimiser state in the result (the caller disposes it) */
  exportOptimizerState?: boolean;
  /** where checkpoints go; without it nothing is saved and nothing resumed */
  checkpointDir?: string;
  /** default 1000 */
  checkpointEvery?: number;
  progress?: ProgressSink;
  /**
   * Run facts (TensorBoard, the scalars file): each iteration's loss, its parts, the learning rate
   * of each parameter group and it/s; at each checkpoint, what `checkpointScalars` measures.
   * Nothing logged is read back: the weights are the same with or without it.
   */
  scalars?: ScalarSink;
  /** a cheap measure of the model at a checkpoint (a fixed val sample); called only with `scalars` */
  checkpointScalars?: () => Promise<Record<string, number>>;
  signal?: AbortSignal;
  /** extra settings that must match for a checkpoint to be resumed (e.g. the sampler's seed) */
  runTag?: Record<string, string | number | boolean>;
  /**
   * Stop when a loss exceeds this many times the median of the last DIVERGENCE_WINDOW losses
   * (default 100; 0 disables): a diverged run is stopped, not committed as a model.
   */
  divergeFactor?: number;
}

/** how many recent losses the divergence check compares against, and how many it needs first */
export const DIVERGENCE_WINDOW = 20;
const DIVERGENCE_MIN_HISTORY = 1;

export type OptimizerName = 'sgd' | 'adam';

export interface CurvePoint {
  iteration: number;
  /** total reported loss: l_s + l_c + L2 of the decayed weights (fcan: l_c + L2) */
  loss: number;
  segLoss: number | null;
  clsLoss: number;
  lr: number;
}

export interface TrainResult {
  iterations: number;
  /** iteration the run resumed from (0: fresh) */
  resumedFrom: number;
  curve: CurvePoint[];
  /** the optimiser state after the last update, when exportOptimizerState was set */
  optimizerState?: tf.NamedTensorMap;
}

export class NonFiniteLossError extends Error {
  constructor(
    readonly iteration: number,
    readonly value: number,
    readonly lastCheckpoint: number | null,
  ) {
    super(
      `training loss is ${value} at iteration ${iteration}; stopped before applying that update. ` +
        (lastCheckpoint === null ? 'No checkpoint was written.' : `The last good checkpoint (iteration ${lastCheckpoint}) is kept.`),
    );
    this.name = 'NonFiniteLossError';
  }
}

export class DivergedLossError extends Error {
  constructor(
    readonly iteration: number,
    readonly value: number,
    readonly reference: number,
    readonly factor: number,
    readonly lastCheckpoint: number | null,
  ) {
    super(
      `training diverged at iteration ${iteration}: loss ${value.toPrecision(4)} is over ${factor}x the median ${reference.toPrecision(4)} of the iterations before; ` +
        'stopped before applying that update (lower lr, or set divergeFactor; 0 turns the check off). ' +
        (lastCheckpoint === null ? 'No checkpoint was written.' : `The last good checkpoint (iteration ${lastCheckpoint}) is kept.`),
    );
    this.name = 'DivergedLossError';
  }
}

/** Weights that are not all finite at a checkpoint: the checkpoint is not written. */
export class NonFiniteWeightsError extends Error {
  constructor(
    readonly iteration: number,
    readonly names: string[],
    readonly lastCheckpoint: number | null,
  ) {
    super(
      `weights are not finite after iteration ${iteration} (${names.slice(0, 3).join(', ')}${names.length > 3 ? `, ${names.length - 3} more` : ''}); that checkpoint is not written. ` +
        (lastCheckpoint === null ? 'No checkpoint was written.' : `The last good checkpoint (iteration ${lastCheckpoint}) is kept.`),
    );
    this.name = 'NonFiniteWeightsError';
  }
}

function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** Names of the weights holding a NaN or an infinity. */
async function nonFinite(weights: tf.NamedTensorMap): Promise<string[]> {
  const names = Object.keys(weights);
  const flags = tf.tidy(() => tf.stack(names.map((n) => tf.all(tf.isFinite(weights[n]))).map((b) => b.cast('int32'))));
  const ok = await flags.data();
  flags.dispose();
  return names.filter((_, i) => ok[i] === 0);
}

export async function trainLoop(opts: TrainLoopOptions): Promise<TrainResult> {
  const { model, iterations: T, batch, crop, sampler } = opts;
  const custom = typeof opts.objective === 'object' ? opts.objective : null;
  const objective: Objective = custom ? 'seg' : (opts.objective as Objective);
  const segModel = custom ? null : asSegmentationModel(model);
  const routing = opts.routing ?? 'code';
  const scope = opts.scope ?? (objective === 'fcan' ? 'heads' : 'all');
  const baseLr = opts.lr ?? 1e-3;
  const power = opts.power ?? 0.9;
  const weightDecay = opts.weightDecay ?? 5e-4;
  const form = opts.form ?? 'tf';
  const optimizer = opts.optimizer ?? 'sgd';
  const every = opts.checkpointEvery ?? 1000;
  const progress = opts.progress ?? silentProgress;
  const divergeFactor = opts.divergeFactor ?? 100;
  if (!Number.isInteger(T) || T < 1) throw new Error(`trainLoop: iterations must be a positive integer (got ${T})`);
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`trainLoop: batch must be a positive integer (got ${batch})`);

  const config = {
    model: model.name,
    objective: custom ? custom.name : objective,
    routing,
    scope,
    iterations: T,
    batch,
    crop,
    lr: baseLr,
    power,
    momentum: opts.momentum ?? 0.9,
    weightDecay,
    form,
    optimizer,
    initialState: opts.initialOptimizerState ? 'given' : 'zero',
    ...(opts.runTag ?? {}),
  };
  const plan = custom ? custom.plan : planParams(segModel!, { objective, routing, scope, weightDecay });
  const slots = Object.fromEntries(plan.map((p) => [p.name, { variable: p.info.variable, lrMult: p.lrMult, weightDecay: p.weightDecay }]));
  const sgd = optimizer === 'adam' ? new Adam(slots) : new MomentumSgd(slots, { momentum: config.momentum, form });
  const decayed = plan.filter((p) => p.weightDecay > 0).map((p) => p.info.variable);
  const allVars: Record<string, tf.Variable> = {};
  for (const [name, p] of model.params) allVars[name] = p.variable;

  let start = 0;
  let curve: CurvePoint[] = [];
  let lastCheckpoint: number | null = null;
  try {
    if (opts.initialOptimizerState) sgd.setState(opts.initialOptimizerState);
    if (opts.checkpointDir !== undefined && (await findCheckpoint(opts.checkpointDir)) !== null) {
      const ck = await loadCheckpoint(opts.checkpointDir);
      try {
        const saved = (ck.extra.config ?? {}) as Record<string, unknown>;
        const diff = Object.keys(config).filter((k) => saved[k] !== (config as Record<string, unknown>)[k]);
        if (diff.length > 0) {
          throw new Error(
            `checkpoint ${opts.checkpointDir} was written by a different run (${diff.map((k) => `${k}: ${String(saved[k])} vs ${String((config as Record<string, unknown>)[k])}`).join(', ')})`,
          );
        }
        assignWeights(allVars, ck.weights);
        sgd.setState(ck.optimizer);
        start = ck.iteration;
        lastCheckpoint = start;
        curve = (ck.extra.curve as CurvePoint[] | undefined) ?? [];
      } finally {
        disposeCheckpoint(ck);
      }
    }

    const save = async (iteration: number): Promise<void> => {
      if (opts.checkpointDir === undefined && iteration !== T) return;
      // the loss is checked before each update, the weights only here: what a checkpoint (or the
      // final model) holds is checked itself
      const bad = await nonFinite(model.weights());
      if (bad.length) throw new NonFiniteWeightsError(iteration, bad, lastCheckpoint);
      if (opts.checkpointDir === undefined) return;
      const state = sgd.getState();
      try {
        await saveCheckpoint(opts.checkpointDir, { weights: model.weights(), optimizer: state, iteration, extra: { config, curve } });
      } finally {
        tf.dispose(Object.values(state));
      }
      lastCheckpoint = iteration;
    };

    progress.start(T, `${model.name} ${custom ? custom.name : objective} iterations`);
    if (start > 0) progress.tick(start);
    // the curve goes on from the checkpoint: what a killed run logged after it is dropped
    opts.scalars?.restart(start + 1);
    // the rate of each parameter group (by its multiplier of the base rate)
    const multipliers = [...new Set(plan.map((p) => p.lrMult))].sort((a, b) => a - b);
    const [oh, ow] = segModel ? segModel.outputSize(crop, crop) : [0, 0];
    const began = performance.now();
    for (let t = start + 1; t <= T; t++) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('training aborted');
      // a step awaits only promises that tfjs settles as microtasks, so without this the event loop
      // would run no timer between checkpoints: lock leases and a queue's job lock would go unrenewed
      await new Promise((resolve) => setImmediate(resolve));
      const samples = await Promise.all(Array.from({ length: batch }, (_, s) => sampler(t, s)));
      const lr = polyLr(baseLr, t, T, power);
      const { x, targets, labels } = batchTensors(samples, crop, [oh, ow], segModel?.classes ?? 0, custom ? 'custom' : objective);
      let ls: tf.Scalar | null = null;
      let lc: tf.Scalar | null = null;
      const { value, grads } = tf.variableGrads(() => {
        if (custom) return custom.loss(x, samples);
        const out = segModel!.forward(x, { detachAttention: objective === 'seg' && routing === 'code' });
        lc = tf.keep(fcanLoss(out.scores, targets));
        if (objective === 'fcan' || labels === null) return lc;
        ls = tf.keep(segLoss(out.logits, labels));
        return tf.add(ls, lc) as tf.Scalar;
      }, sgd.variables());
      const l2 = l2Term(decayed, weightDecay);
      const [dataLoss, l2v, lsv, lcv] = await Promise.all([value.data(), l2.data(), (ls as tf.Scalar | null)?.data(), (lc as tf.Scalar | null)?.data()]);
      const loss = dataLoss[0] + l2v[0];
      tf.dispose([x, targets, value, l2]);
      if (labels !== null) labels.dispose();
      if (ls !== null) (ls as tf.Scalar).dispose();
      if (lc !== null) (lc as tf.Scalar).dispose();
      if (!Number.isFinite(loss)) {
        tf.dispose(grads);
        throw new NonFiniteLossError(t, loss, lastCheckpoint);
      }
      // the history comes from the curve, which a checkpoint carries: a resumed run checks alike
      const recent = curve.slice(-DIVERGENCE_WINDOW).map((c) => c.loss);
      if (divergeFactor > 0 && recent.length >= DIVERGENCE_MIN_HISTORY && loss > divergeFactor * median(recent)) {
        tf.dispose(grads);
        throw new DivergedLossError(t, loss, median(recent), divergeFactor, lastCheckpoint);
      }
      sgd.step(grads, lr);
      tf.dispose(grads);
      curve.push({ iteration: t, loss, segLoss: lsv === undefined ? null : lsv[0], clsLoss: lcv === undefined ? NaN : lcv[0], lr });
      const done = t - start;
      const perSec = done / ((performance.now() - began) / 1000);
      progress.tick(1, {
        loss: Number(loss.toPrecision(4)),
        lr: Number(lr.toPrecision(3)),
        'it/s': Number(perSec.toPrecision(3)),
        eta: formatDuration((T - t) / perSec),
      });
      opts.scalars?.scalars(t, {
        loss,
        ...(lsv === undefined ? {} : { 'loss/l_s': lsv[0] }),
        ...(lcv === undefined ? {} : { 'loss/l_c': lcv[0] }),
        lr,
        ...Object.fromEntries(multipliers.map((m) => [`lr/x${m}`, lr * m])),
        'speed/it_per_s': perSec,
      });
      if (t % every === 0 || t === T) {
        await save(t);
        if (opts.scalars && opts.checkpointScalars) opts.scalars.scalars(t, await opts.checkpointScalars());
      }
    }
    progress.done();
    return { iterations: T, resumedFrom: start, curve, ...(opts.exportOptimizerState ? { optimizerState: sgd.getState() } : {}) };
  } finally {
    sgd.dispose();
  }
}

function asSegmentationModel(m: SegmentationModel | TrainableModel): SegmentationModel {
  if (!('forward' in m)) throw new Error(`trainLoop: ${m.name} is not a segmentation model; fcan and seg need one`);
  return m;
}

function batchTensors(
  samples: TrainSample[],
  crop: number,
  [oh, ow]: [number, number],
  classes: number,
  objective: Objective | 'custom',
): { x: tf.Tensor4D; targets: tf.Tensor2D; labels: tf.Tensor3D | null } {
  const B = samples.length;
  const px = crop * crop;
  const fg = Math.max(0, classes - 1);
  const xs = new Float32Array(B * px * 3);
  const ys = new Float32Array(B * fg);
  const ls = objective === 'seg' ? new Int32Array(B * oh * ow) : null;
  samples.forEach((s, b) => {
    if (s.image.length !== px * 3) throw new Error(`sample ${b}: image has ${s.image.length} values, expected ${crop}x${crop}x3`);
    xs.set(s.image, b * px * 3);
    if (objective !== 'custom') ys.set(classTargets(s.classes, fg), b * fg);
    if (ls !== null) {
      if (s.cue == null || s.cue.length !== px) throw new Error(`sample ${b}: the seg objective needs a ${crop}x${crop} cue map`);
      ls.set(downsampleCues(s.cue, crop, crop, oh, ow, classes), b * oh * ow);
    }
  });
  return {
    x: tf.tensor4d(xs, [B, crop, crop, 3]),
    targets: tf.tensor2d(ys, [B, fg]),
    labels: ls === null ? null : tf.tensor3d(ls, [B, oh, ow], 'int32'),
  };
}
