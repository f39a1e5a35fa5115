// The compute estimate of a run: each training stage's iterations x (a step + preparing its batch:
// JPEG decoding and augmentation), each per-image stage's images x (decoding + a forward pass at
// every scale it runs + its CRF or detector passes), each stage's start; then the run's wall time
// from the DAG and the slots that will run it (lib/doctor/schedule.ts). Every time comes from a
// Measurer (lib/doctor/measure.ts measures on this machine; tests give their own), so the figure is
// arithmetic over the resolved stages and shows how it was made.
import { basename } from 'node:path';
import type { ResolvedStage } from '../dag/resolve.ts';
import type { ProcessMemory } from '../gpu/memory.ts';
import { resolveToyOptions, type ToyOptionsInput } from '../data/toy-generate.ts';
import { VOC_EXPECTED_COUNTS } from '../data/voc-layout.ts';
import { planWall, type Slots, type StageCost, type StageRole } from './schedule.ts';

/** A network as the training stages build it. */
export interface NetSpec {
  model: string;
  widthDivisor: number;
}

export type StepKind = 'fcan-heads' | 'fcan-all' | 'seg';

/** A timed computation: its seconds, its multiply-adds (0: not counted), and how it was timed when not as asked. */
export interface Timed {
  seconds: number;
  macs: number;
  /** '' when timed as asked; else "; batch 10 x 321 px needs ..., so ... was timed and scaled" */
  note: string;
  /** the step that was timed (a training step's batch and side), when it was fitted */
  step?: StepSize;
  /** the card memory its measurement process held after the timed steps (measured on a GPU only) */
  memory?: ProcessMemory;
}

/** A training step's size: `batch` images of `side` x `side`. */
export interface StepSize {
  batch: number;
  side: number;
}

/** A training's card memory: what its measurement process held, at the step timed, against the profile's step. */
export interface StepMemory {
  measured: ProcessMemory;
  timed: StepSize;
  profile: StepSize;
}

/** What an estimate needs timed; a method that throws leaves its stages unmeasured (said, not counted). */
export interface Measurer {
  /** one training step of `batch` crops of crop x crop (synthetic crops: their preparation is `decode` + `augment`) */
  trainStep(net: NetSpec, kind: StepKind, crop: number, batch: number): Promise<Timed>;
  /** one forward pass at each [width, height] */
  forward(net: NetSpec, sizes: [number, number][]): Promise<Timed[]>;
  /** one DHSNet training step of `batch` images */
  saliencyStep(variant: string, size: number, widthDivisor: number, batch: number): Promise<Timed>;
  /** one detector pass over an image (saliency-s1's detector params); null: a user's model file, not loaded */
  detect(detector: Record<string, unknown>, width: number, height: number): Promise<Timed | null>;
  /** the dense CRF (VOC's class count) on an image */
  crf(width: number, height: number): Promise<number>;
  /** decoding one JPEG photo */
  decode(width: number, height: number): Promise<number>;
  /** cutting one augmented training crop (scale, mirror, crop) from a decoded photo */
  augment(width: number, height: number, crop: number): Promise<number>;
  /** a stage's start: a process (an isolated stage), or a worker thread (a per-item stage's), loading the modules and the backend */
  startup(): Promise<Startup>;
  /**
   * saving a checkpoint of the network with `optimizerSlots` optimiser tensors per weight (a
   * training's checkpoints), and loading it into a new model (a training's init, a per-image
   * stage's model in each worker)
   */
  checkpoint(net: NetSpec, optimizerSlots: number): Promise<CheckpointCost>;
  /** generating one image of the toy dataset (rendering, encoding, writing its files) */
  toyImage(options: ToyOptionsInput): Promise<number>;
}

/** One call of a Measurer, as data (a measurement process is sent it). */
export type MeasureCall = { [K in keyof Measurer]: { method: K; args: Parameters<Measurer[K]> } }[keyof Measurer];

/** Seconds to be ready to compute: a new process, a new worker thread; the run's own start before its first stage. */
export interface Startup {
  process: number;
  thread: number;
  /** the run's command up to its first stage (loading the pipeline, planning its keys); absent: a process's start stands for it */
  run?: number;
}

/** Seconds to save a network's checkpoint and to load one into a new model. */
export interface CheckpointCost {
  save: number;
  load: number;
}

export interface StageEstimate extends StageCost {
  /** how the figure was made, e.g. "30,000 it x (4.1 s step + 10 x 31 ms decode and augment)" */
  how: string;
  /** a training measured on a GPU: the card memory of its step */
  memory?: StepMemory;
}

export interface RunEstimate {
  stages: StageEstimate[];
  /** the stages' seconds on one slot each, summed: the compute */
  compute: number;
  /** the run's wall time: its own start, then the DAG's stages on the slots, as the executor schedules them */
  wall: number;
  /** seconds of the run's own start (its command up to the first stage), counted in `wall` */
  runStart: number;
  /** the stages whose chain decides the wall time, in run order */
  critical: string[];
  slots: Slots;
  /** stages that should have a figure but could not be measured here (the totals leave them out) */
  unmeasured: string[];
  images: { train: number; val: number; test: number; width: number; height: number };
}

const num = (v: number): string => v.toLocaleString('en-US');
export const secs = (v: number): string => (v < 0.1 ? `${(v * 1000).toFixed(1)} ms` : `${v.toFixed(2)} s`);

/** Split sizes and a typical image size of the run's dataset. */
export function datasetShape(params: Record<string, unknown>): RunEstimate['images'] {
  if (params.source === 'voc') {
    const voc = (params.voc ?? {}) as { expectedCounts?: Partial<Record<'train' | 'val' | 'test', number>>; includeTest?: boolean };
    const c = { ...VOC_EXPECTED_COUNTS, ...voc.expectedCounts };
    // VOC2012 photos are at most 500 px a side, most of them 500 x 375
    return { train: c.train, val: c.val, test: voc.includeTest ? c.test : 0, width: 500, height: 375 };
  }
  const toy = resolveToyOptions((params.toy ?? {}) as ToyOptionsInput);
  const side = Math.round((toy.minSize + toy.maxSize) / 2);
  return { train: toy.counts.train, val: toy.counts.val, test: toy.counts.test, width: side, height: side };
}

/** val images a training measures at each checkpoint for its curves (lib/work/checkpoint-probe.ts PROBE_IMAGES) */
const PROBE_IMAGES = 16;

/** decoded train images the training stages keep in memory (lib/work/training.ts ImageCache) */
const IMAGE_CACHE_BYTES = 1.5 * 2 ** 30;

/** The [width, height] a multi-scale pass runs the network at for each scale (lib/model/inference.ts). */
export function scaleSizes(width: number, height: number, scales: unknown): [number, number][] {
  const list = Array.isArray(scales) && scales.length ? scales.map(Number) : [1, 0.75, 0.5];
  return list.map((s) => [Math.max(1, Math.floor(width * s)), Math.max(1, Math.floor(height * s))]);
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

export interface EstimateOptions {
  slots: Slots;
  /** threads a training holds on this backend (the executor counts them as busy cores) */
  trainingThreads: number;
  /** only these stages get a figure (the others still say which network, detector and dataset the run has) */
  only?: (stage: string) => boolean;
  /** the run writes TensorBoard files, so a training measures its val sample at each checkpoint (run's default; --no-tensorboard: false) */
  probes?: boolean;
  /**
   * count a training's checkpoints, init loading and val probes besides its steps (default true);
   * the preflight, which weighs only the steps of a large training, leaves them out
   */
  trainingExtras?: boolean;
  /** the onnx detectors run on onnxruntime's CUDA provider (lib/tensor/onnx-provider.ts): their passes hold a GPU as tensor stages do */
  onnxOnGpu?: boolean;
}

/** The estimate of the stages (resolved, in run order) and of the run's wall time on `slots`. */
export async function estimateRun(stages: ResolvedStage[], measure: Measurer, opts: EstimateOptions): Promise<RunEstimate> {
  const only = opts.only ?? (() => true);
  const kindOf = (s: ResolvedStage) => basename(s.module, '.ts');
  const find = (kind: string) => stages.find((s) => kindOf(s) === kind);
  const data = find('dataset');
  const images = datasetShape(data?.params ?? {});
  const fcan = find('fcan-pretrain');
  const net: NetSpec = { model: String(fcan?.params.model ?? 'deeplab-lite'), widthDivisor: Number(fcan?.params.widthDivisor ?? 1) };
  const s1 = find('saliency-s1');
  const detector = {
    ...((s1?.params.options ?? {}) as Record<string, unknown>),
    kind: s1?.params.detector ?? 'boundary',
    ...(s1?.params.model ? { model: s1.params.model } : {}),
  };
  const train = find('saliency-train');
  const { width: W, height: H } = images;
  const count = (split: unknown): number =>
    split === 'test' ? images.test : split === 'val' ? images.val : split === 'all' ? images.train + images.val + images.test : images.train;

  const detectCost = async (): Promise<Timed | null> => {
    if (detector.kind === 'dhsnet' && train && !s1?.params.model) {
      return measure.detect({ kind: 'dhsnet', variant: train.params.variant, size: train.params.size, widthDivisor: train.params.widthDivisor }, W, H);
    }
    return measure.detect(detector, W, H);
  };
  // every size a stage runs the network at, measured in one process (one model built)
  const netKinds = new Set(['attention', 'adapt', 'eval', 'eval-direct']);
  const allSizes = new Map<string, [number, number]>([[`${W}x${H}`, [W, H]]]);
  for (const s of stages) if (netKinds.has(kindOf(s)) && only(s.name)) for (const z of scaleSizes(W, H, s.params.scales)) allSizes.set(`${z[0]}x${z[1]}`, z);
  let forwards: Promise<Map<string, Timed>> | null = null;
  const forwardAt = async (): Promise<Map<string, Timed>> => {
    const sizes = [...allSizes.values()];
    const t = await measure.forward(net, sizes);
    return new Map(sizes.map((z, i) => [`${z[0]}x${z[1]}`, t[i]]));
  };
  /** forward passes at every scale, summed */
  const passes = async (scales: unknown): Promise<Timed> => {
    forwards ??= forwardAt();
    const by = await forwards;
    const t = scaleSizes(W, H, scales).map(([w, h]) => by.get(`${w}x${h}`)!);
    return { seconds: sum(t.map((x) => x.seconds)), macs: sum(t.map((x) => x.macs)), note: t.find((x) => x.note)?.note ?? '' };
  };
  const decode = () => measure.decode(W, H);
  /** decodes a training stage makes: every image once, and again on later epochs unless cached */
  const decodesOf = (samples: number): number => {
    const cached = Math.min(1, Math.floor(IMAGE_CACHE_BYTES / (W * H * 3)) / Math.max(1, images.train));
    return Math.min(samples, images.train) + Math.max(0, samples - images.train) * (1 - cached);
  };
  const probes = opts.probes ?? true;
  /**
   * A checkpoint of the segmentation network saved and loaded, with the optimiser slots of
   * `optimizer`; null when it could not be measured here (then it is said, not counted: a fixed
   * cost left out does not make the stage's steps unknown).
   */
  const checkpointOf = (optimizer: unknown) =>
    measure.checkpoint(net, optimizer === 'adam' ? 2 : 1).then(
      (c) => c,
      () => null,
    );
  /** what a per-image stage's worker does before its first image: load the upstream network */
  const netStart = async (): Promise<{ seconds: number; how: string }> => {
    // the trainings upstream checkpoint their optimiser state with the weights: the same file
    const ck = await checkpointOf(find('train')?.params.optimizer);
    if (!ck) return { seconds: 0, how: '; its start: a worker thread (loading the network not counted: no checkpoint measured)' };
    return { seconds: ck.load, how: `; its start: a worker thread + ${secs(ck.load)} loading the network` };
  };

  const out: StageEstimate[] = [];
  const unmeasured: string[] = [];
  for (const s of stages) {
    // an isolated stage starts a process; a per-item stage its worker threads (side by side); the
    // others run in the run's process, and a thread's start stands for their loading their modules
    const base = {
      stage: s.name,
      deps: [...new Set(Object.values(s.inputs))],
      tensors: s.tensors || (s.onnx && Boolean(opts.onnxOnGpu)),
      start: 0,
      serial: 0,
      macs: 0,
    };
    if (!only(s.name)) continue;
    try {
      const { startMore, ...cost } = await stageCost(s);
      out.push({ ...base, ...cost, start: startMore ?? 0 });
    } catch (err) {
      out.push({ ...base, role: roleOf(s), seconds: null, how: `could not be measured here: ${(err as Error).message}` });
      unmeasured.push(s.name);
    }
  }
  // asked last: a process's start is read from every measurement process that ran before
  const start = await measure.startup();
  for (const e of out) e.start += stages.find((s) => s.name === e.stage)?.isolate ? start.process : start.thread;
  const schedule = planWall(out, opts.slots, opts.trainingThreads);
  const compute = sum(out.map((e) => e.start + e.serial + (e.seconds ?? 0)));
  // the run's own start (its command, the pipeline, the keys planned) comes before its first stage
  const wall = (start.run ?? start.process) + schedule.wall;
  return { stages: out, compute, wall, critical: schedule.critical, slots: opts.slots, unmeasured, images, runStart: start.run ?? start.process };

  /** a stage's cost; `startMore`: what it does after its process or thread starts and before its first item */
  type Cost = Pick<StageEstimate, 'role' | 'seconds' | 'serial' | 'macs' | 'how' | 'memory'> & { startMore?: number };

  /** a training step's card memory, when its measurement read one: at the step timed, against the profile's */
  function stepMemory(t: Timed, profile: StepSize): Pick<StageEstimate, 'memory'> {
    return t.memory ? { memory: { measured: t.memory, timed: t.step ?? profile, profile } } : {};
  }

  /**
   * What a training does besides its steps: loading its init network (train, retrain), a checkpoint
   * every `checkpointEvery` iterations and at the end (the loop's, then the artifact's own), and,
   * when the run writes TensorBoard files, the val sample measured at each of the loop's checkpoints.
   */
  async function trainingExtras(p: Record<string, unknown>, it: number, loads: boolean): Promise<{ seconds: number; how: string }> {
    if (opts.trainingExtras === false) return { seconds: 0, how: '' };
    const ck = await checkpointOf(p.optimizer);
    const every = Number(p.checkpointEvery ?? 1000);
    const points = Math.ceil(it / Math.max(1, every));
    const probeImages = Math.min(PROBE_IMAGES, images.val);
    // a forward pass that cannot be measured here leaves the probes uncounted, not the training
    const probePass =
      probes && probeImages > 0
        ? await passes([1]).then(
            (t) => t.seconds,
            () => null,
          )
        : 0;
    const probe = probePass ? probeImages * ((await decode()) + probePass) : 0;
    const load = loads && ck ? ck.load : 0;
    const seconds = load + (ck ? (points + 1) * ck.save : 0) + points * probe;
    const parts = [
      ...(loads && ck ? [`${secs(load)} loading its init`] : []),
      ck ? `${points + 1} checkpoints x ${secs(ck.save)}` : 'its checkpoints (not counted: none measured)',
      ...(probe ? [`${points} x ${secs(probe)} measuring ${probeImages} val images`] : []),
      ...(probePass === null ? [`its val measures at the checkpoints (not counted: no forward pass measured)`] : []),
    ];
    return { seconds, how: ` + ${parts.join(' + ')}` };
  }

  async function stageCost(s: ResolvedStage): Promise<Cost> {
    const p = s.params;
    const kind = kindOf(s);
    const role = roleOf(s);
    if (kind === 'fcan-pretrain' || kind === 'train' || kind === 'retrain') {
      const step: StepKind = kind === 'fcan-pretrain' ? (p.headsOnly === false ? 'fcan-all' : 'fcan-heads') : 'seg';
      const it = Number(p.iterations),
        batch = Number(p.batch),
        crop = Number(p.crop);
      const t = await measure.trainStep(net, step, crop, batch);
      const prep = (decodesOf(it * batch) * (await decode())) / it + batch * (await measure.augment(W, H, crop));
      const extra = await trainingExtras(p, it, kind !== 'fcan-pretrain');
      return {
        role,
        seconds: it * (t.seconds + prep) + extra.seconds,
        serial: 0,
        macs: it * t.macs,
        how: `${num(it)} it x (${secs(t.seconds)} step + ${secs(prep)} decode and augment)${extra.how} (${net.model}${net.widthDivisor > 1 ? `/${net.widthDivisor}` : ''} ${step} step, batch ${batch} x ${crop} px${t.note})`,
        ...stepMemory(t, { batch, side: crop }),
      };
    }
    if (kind === 'saliency-train') {
      const size = Number(p.size ?? (p.variant === 'dhsnet' ? 224 : 64));
      const it = Number(p.iterations),
        batch = Number(p.batch);
      const t = await measure.saliencyStep(String(p.variant), size, Number(p.widthDivisor ?? 1), batch);
      // its images (DUTS-TR, or the toy's) are decoded and resized per sample: about a decode each
      const prep = batch * (await decode());
      return {
        role,
        seconds: it * (t.seconds + prep),
        serial: 0,
        macs: it * t.macs,
        how: `${num(it)} it x (${secs(t.seconds)} step + ${secs(prep)} decode) (${p.variant} step, batch ${batch} x ${size} px${t.note})`,
        ...stepMemory(t, { batch, side: size }),
      };
    }
    if (kind === 'saliency-s1' || kind === 'erase-s2' || kind === 'erase-s3') {
      const n = count(stages.find((x) => kindOf(x) === 'saliency-s1')?.params.split);
      const t = await detectCost();
      if (t === null) throw new Error(`detector ${String(detector.kind)} is a model file of yours: not loaded for an estimate`);
      const d = await decode();
      return {
        role,
        seconds: n * (d + t.seconds),
        serial: 0,
        macs: n * t.macs,
        how: `${num(n)} images x (${secs(d)} decode + ${secs(t.seconds)} detector ${String(detector.kind)} at ${W}x${H})`,
      };
    }
    if (kind === 'attention' || kind === 'adapt' || kind === 'eval' || kind === 'eval-direct') {
      const f = await passes(p.scales);
      const d = await decode();
      const k = scaleSizes(W, H, p.scales).length;
      const scales = `${k} scale${k > 1 ? 's' : ''}`;
      const ns = await netStart();
      if (kind === 'attention' || kind === 'adapt') {
        const n = images.train;
        // attention also scores the val images at scale 1, after its items, on one thread
        const val = kind === 'attention' ? await passes([1]) : null;
        return {
          role,
          seconds: n * (d + f.seconds),
          serial: val ? images.val * (d + val.seconds) : 0,
          macs: n * f.macs + (val ? images.val * val.macs : 0),
          how: `${num(n)} images x (${secs(d)} decode + ${secs(f.seconds)} forward at ${scales} of ${W}x${H}${f.note})${val ? `, then ${num(images.val)} val images x ${secs(d + val.seconds)} on one thread` : ''}${ns.how}`,
          startMore: ns.seconds,
        };
      }
      const n = count(p.split);
      if (kind === 'eval') {
        const crf = p.crf === false ? 0 : await measure.crf(W, H);
        return {
          role,
          seconds: n * (d + f.seconds + crf),
          serial: 0,
          macs: n * f.macs,
          how: `${num(n)} images x (${secs(d)} decode + ${secs(f.seconds)} forward at ${scales}${crf ? ` + ${secs(crf)} CRF` : ''}${f.note})${ns.how}`,
          startMore: ns.seconds,
        };
      }
      // eval-direct: the class scores at scale 1, the attention at every scale, and the saliency passes
      const one = await passes([1]);
      const det = await detectCost();
      if (det === null) throw new Error(`detector ${String(detector.kind)} is a model file of yours: not loaded for an estimate`);
      const k2 = Number(p.passes ?? 3);
      return {
        role,
        seconds: n * (d + one.seconds + f.seconds + k2 * det.seconds),
        serial: 0,
        macs: n * (one.macs + f.macs + k2 * det.macs),
        how: `${num(n)} images x (${secs(d)} decode + ${secs(one.seconds + f.seconds)} forward at 1 + ${scales} + ${k2} x ${secs(det.seconds)} detector${f.note})${ns.how}`,
        startMore: ns.seconds,
      };
    }
    if (kind === 'dataset' && p.source === 'voc')
      return { role, seconds: null, serial: 0, macs: 0, how: 'downloads and preparation: not estimated (network speed)' };
    if (kind === 'dataset' && (p.source ?? 'toy') === 'toy') {
      const n = images.train + images.val + images.test;
      const t = await measure.toyImage((p.toy ?? {}) as ToyOptionsInput);
      return { role, seconds: n * t, serial: 0, macs: 0, how: `${num(n)} toy images x ${secs(t)} (render, encode, write)` };
    }
    return { role, seconds: 0, serial: 0, macs: 0, how: 'small next to the rest: its start only' };
  }
}

function roleOf(s: ResolvedStage): StageRole {
  if (TRAINING_KINDS.has(basename(s.module, '.ts'))) return 'training';
  return s.perItem ? 'per-image' : 'other';
}

const TRAINING_KINDS = new Set(['fcan-pretrain', 'train', 'retrain', 'saliency-train']);
