// The compute estimate of a run: each training stage's iterations x a step time, each per-image
// stage's items x the cost of one item, with every time coming from a Measurer (lib/doctor/measure.ts
// measures on this machine; tests give their own). Pure arithmetic over the resolved stages, so the
// figure shows how it was computed.
import { basename } from 'node:path';
import type { ResolvedStage } from '../dag/resolve.ts';
import { resolveToyOptions, type ToyOptionsInput } from '../data/toy-generate.ts';
import { VOC_EXPECTED_COUNTS } from '../data/voc-layout.ts';

/** A network as the training stages build it. */
export interface NetSpec {
  model: string;
  widthDivisor: number;
}

export type StepKind = 'fcan-heads' | 'fcan-all' | 'seg';

/** What an estimate needs timed, in seconds; null: cannot be measured here (then left out, and said). */
export interface Measurer {
  /** one training step of `batch` crops of crop x crop */
  trainStep(net: NetSpec, kind: StepKind, crop: number, batch: number): Promise<number>;
  /** one forward pass on an image of width x height */
  forward(net: NetSpec, width: number, height: number): Promise<number>;
  /** one DHSNet training step of `batch` images */
  saliencyStep(variant: string, size: number, widthDivisor: number, batch: number): Promise<number>;
  /** one detector pass over an image (saliency-s1's detector params) */
  detect(detector: Record<string, unknown>, width: number, height: number): Promise<number | null>;
  /** the dense CRF (VOC's class count) on an image */
  crf(width: number, height: number): Promise<number>;
}

export interface StageEstimate {
  stage: string;
  seconds: number | null;
  /** how the figure was made, e.g. "30,000 it x batch 10 x 0.91 s (batch-1 step at 321 px)" */
  how: string;
}

export interface RunEstimate {
  stages: StageEstimate[];
  /** training stages (one after the other) plus per-image stages spread over `workers` */
  seconds: number;
  /** stages that should have a figure but could not be measured here (the total leaves them out) */
  unmeasured: string[];
  workers: number;
  images: { train: number; val: number; test: number; width: number; height: number };
}

const num = (v: number): string => v.toLocaleString('en-US');
const secs = (v: number): string => (v < 0.1 ? `${(v * 1000).toFixed(1)} ms` : `${v.toFixed(2)} s`);

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

/**
 * A time measured at full size, or, where that fails here (a network too large for the backend's
 * memory), at half the side and scaled by the area: the estimate then says so and why.
 */
async function fullOrHalf(full: () => Promise<number>, half: () => Promise<number>, areaRatio: number): Promise<{ t: number; note: string }> {
  try {
    return { t: await full(), note: '' };
  } catch (err) {
    const why = (err as Error).message.split('.')[0];
    return {
      t: areaRatio * (await half()),
      note: `; full size failed here (${why}), so measured at half the side and scaled by area x${areaRatio.toFixed(2)}`,
    };
  }
}

const half = (n: number): number => Math.max(16, Math.round(n / 2));

const sumSquares = (scales: unknown): number => (Array.isArray(scales) ? scales : [1]).reduce((a: number, s) => a + Number(s) ** 2, 0);

/**
 * The estimate of every stage in `stages` (resolved, in run order), or of those `only` picks (the
 * others still say which network, detector and dataset the run has); `workers` run per-image stages
 * side by side.
 */
export async function estimateRun(
  stages: ResolvedStage[],
  measure: Measurer,
  workers: number,
  only: (stage: string) => boolean = () => true,
): Promise<RunEstimate> {
  const byName = new Map(stages.map((s) => [s.name, s]));
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

  const detectCost = async (): Promise<number | null> => {
    if (detector.kind === 'dhsnet' && train && !s1?.params.model) {
      return measure.detect({ kind: 'dhsnet', variant: train.params.variant, size: train.params.size, widthDivisor: train.params.widthDivisor }, W, H);
    }
    return measure.detect(detector, W, H);
  };

  const forwardCost = () =>
    fullOrHalf(
      () => measure.forward(net, W, H),
      () => measure.forward(net, half(W), half(H)),
      (W * H) / (half(W) * half(H)),
    );

  const out: StageEstimate[] = [];
  const unmeasured: string[] = [];
  let trainingSeconds = 0;
  let perItemSeconds = 0;
  for (const s of stages.filter((x) => only(x.name))) {
    let e: StageEstimate;
    try {
      e = await estimateStage(s);
    } catch (err) {
      e = { stage: s.name, seconds: null, how: `could not be measured here: ${(err as Error).message}` };
      unmeasured.push(s.name);
    }
    const kind = kindOf(s);
    if (e.seconds !== null && TRAINING_KINDS.has(kind)) trainingSeconds += e.seconds;
    else if (e.seconds !== null) perItemSeconds += e.seconds;
    out.push(e);
  }
  return { stages: out, seconds: trainingSeconds + perItemSeconds / Math.max(1, workers), unmeasured, workers, images };

  async function estimateStage(s: ResolvedStage): Promise<StageEstimate> {
    const p = s.params;
    const kind = kindOf(s);
    let e: StageEstimate;
    if (kind === 'fcan-pretrain' || kind === 'train' || kind === 'retrain') {
      const step: StepKind = kind === 'fcan-pretrain' ? (p.headsOnly === false ? 'fcan-all' : 'fcan-heads') : 'seg';
      const it = Number(p.iterations),
        batch = Number(p.batch);
      const crop = Number(p.crop);
      const { t, note } = await fullOrHalf(
        () => measure.trainStep(net, step, crop, batch),
        () => measure.trainStep(net, step, half(crop), batch),
        (crop / half(crop)) ** 2,
      );
      e = {
        stage: s.name,
        seconds: it * t,
        how: `${num(it)} it x ${secs(t)} (${net.model}${net.widthDivisor > 1 ? `/${net.widthDivisor}` : ''} ${step} step, batch ${batch} x ${crop} px${note})`,
      };
    } else if (kind === 'saliency-train') {
      const size = Number(p.size ?? (p.variant === 'dhsnet' ? 224 : 64));
      const it = Number(p.iterations),
        batch = Number(p.batch);
      const wd = Number(p.widthDivisor ?? 1);
      const { t, note } = await fullOrHalf(
        () => measure.saliencyStep(String(p.variant), size, wd, batch),
        () => measure.saliencyStep(String(p.variant), half(size), wd, batch),
        (size / half(size)) ** 2,
      );
      e = { stage: s.name, seconds: it * t, how: `${num(it)} it x ${secs(t)} (${p.variant} step, batch ${batch} x ${size} px${note})` };
    } else if (kind === 'saliency-s1' || kind === 'erase-s2' || kind === 'erase-s3') {
      const t = await detectCost();
      const n = count(byName.get('saliency-s1')?.params.split);
      e =
        t === null
          ? { stage: s.name, seconds: null, how: `${num(n)} images x detector ${String(detector.kind)} (not measurable here)` }
          : { stage: s.name, seconds: n * t, how: `${num(n)} images x ${secs(t)} (detector ${String(detector.kind)} at ${W}x${H})` };
    } else if (kind === 'attention' || kind === 'adapt') {
      const { t: f, note } = await forwardCost();
      const k = kind === 'attention' ? sumSquares(p.scales) : 1;
      e = {
        stage: s.name,
        seconds: images.train * k * f,
        how: `${num(images.train)} images x ${k.toFixed(2)} x ${secs(f)} (forward at ${W}x${H}${k !== 1 ? ', scales summed by area' : ''}${note})`,
      };
    } else if (kind === 'eval') {
      const { t: f, note } = await forwardCost();
      const crf = p.crf === false ? 0 : await measure.crf(W, H);
      const n = count(p.split);
      const k = sumSquares(p.scales);
      e = {
        stage: s.name,
        seconds: n * (k * f + crf),
        how: `${num(n)} images x (${k.toFixed(2)} x ${secs(f)} forward${crf ? ` + ${secs(crf)} CRF` : ''}${note})`,
      };
    } else if (kind === 'eval-direct') {
      const { t: f, note } = await forwardCost();
      const d = await detectCost();
      const n = count(p.split);
      const k = sumSquares(p.scales) + 1;
      const passes = Number(p.passes ?? 3);
      e =
        d === null
          ? { stage: s.name, seconds: null, how: `${num(n)} images (detector not measurable here)` }
          : {
              stage: s.name,
              seconds: n * (k * f + passes * d),
              how: `${num(n)} images x (${k.toFixed(2)} x ${secs(f)} forward + ${passes} x ${secs(d)} detector${note})`,
            };
    } else {
      e = {
        stage: s.name,
        seconds: null,
        how: kind === 'dataset' ? 'downloads and preparation: not estimated (network speed)' : 'small next to the rest: not estimated',
      };
    }
    return e;
  }
}

const TRAINING_KINDS = new Set(['fcan-pretrain', 'train', 'retrain', 'saliency-train']);
