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
import type { ItemEnv, ItemResult, ItemSetupEnv, ItemWork, StageContext } from '../contract/stage.ts';
import type { Json } from '../store/canonical-json.ts';
import { SaliencyQuality } from '../metrics/saliency.ts';
import type { Artifact } from '../store/artifact.ts';
import { sha256, sha256File } from '../store/hash.ts';
import type { Map8, MapF32 } from '../types.ts';
import {
  erasePass,
  firstPass,
  fromUint8,
  getDetector,
  KEPT_FILES,
  toUint8,
  TRAINED_WEIGHTS_DIR,
  type DetectorSpec,
  type EraseCompare,
  type PassResult,
  type SaliencyDetector,
} from '../saliency/index.ts';
import type { PassFiles } from '../saliency/detector-plugin.ts';
import { checkedSpec, detectorCode, detectorNamed, parseDetectorSpecAsync, specFromParams } from '../saliency/registry.ts';
import { formatPercent, roundTo } from '../format.ts';

export const DETECTOR_FILE = 'detector.json';
/**
 * A pass keeps the files its detector needs (a dhsnet's weights) in its own artifact (hard links:
 * no copy on disk), and the spec names them by this relative path and their content hash. So the
 * next pass finds the detector in the pass before it, and item keys depend on the files' bytes,
 * never on where the cache lives.
 */
export const DETECTOR_WEIGHTS = KEPT_FILES;
/** A plugin's detector: its code identity, kept beside the spec, so the next pass is keyed on it too. */
export const DETECTOR_CODE_FILE = 'detector-code.json';
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

/** Where a first pass's weights come from: `model` (converted weights) or saliency-train's artifact. */
function firstPassWeights(params: FirstPassParams, inputs: Record<string, Artifact>): string {
  if (params.model) return params.model;
  const w = inputs.weights;
  if (!w)
    throw new Error(
      `detector ${params.detector} needs weights: map saliency-train to input weights of saliency-s1 (pipeline.yaml does), or set saliency-s1.model to a folder of converted weights`,
    );
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

/** A worker has no StageContext, so it finds the store's data folder from an input artifact (cache/<stage>/<key>). */
const dataDirOf = (art: Artifact): string => join(dirname(dirname(art.dir)), 'data');

async function passFiles(ctx: StageContext<unknown>, given: () => string): Promise<PassFiles> {
  const { acquireLock } = await import('../exec/lock.ts');
  return {
    givenWeights: given,
    previousKept: () => join(ctx.inputs.previous.dir, DETECTOR_WEIGHTS),
    keep: async (src) => takeWeights(src, await ctx.out.path(DETECTOR_WEIGHTS)),
    data: { dir: ctx.dataDir, progress: ctx.progress, log: ctx.log, signal: ctx.signal, lock: acquireLock },
  };
}

/** The detector a worker runs, its files found where the pass keeps them (weights) or in the store's data folder. */
export async function locatedDetector(spec: Json, weightsDir: () => string, dataset: Artifact): Promise<SaliencyDetector> {
  const { detector: d, spec: s } = await parseDetectorSpecAsync(spec);
  const at = d.located?.(s, { weights: weightsDir, dataDir: dataDirOf(dataset) });
  return getDetector(at?.spec ?? s, at?.opts);
}

/** The spec, and for a plugin's detector its code identity, where the next pass reads them. */
async function recordDetector(ctx: StageContext<unknown>, detector: DetectorSpec): Promise<PassShared> {
  await ctx.out.json(DETECTOR_FILE, detector);
  const code = detectorCode(detector.kind);
  if (code !== undefined) await ctx.out.json(DETECTOR_CODE_FILE, { detector: detector.kind, code });
  return { detector: detector as Json, fill: [0, 0, 0], ...(code === undefined ? {} : { detectorCode: code }) };
}

async function firstPassShared(ctx: StageContext<FirstPassParams>): Promise<PassShared> {
  const d = await detectorNamed(ctx.params.detector);
  let detector = specFromParams(d, ctx.params);
  if (d.firstPass) detector = checkedSpec(d, await d.firstPass(detector, await passFiles(ctx, () => firstPassWeights(ctx.params, ctx.inputs))));
  return recordDetector(ctx, detector);
}

/** erase passes take the detector and item list from the pass before them */
async function previousDetector(prev: Artifact): Promise<DetectorSpec> {
  return prev.json<DetectorSpec>(DETECTOR_FILE);
}

async function eraseShared(ctx: StageContext<ErasePassParams>): Promise<PassShared> {
  const detector = await previousDetector(ctx.inputs.previous);
  const { detector: d, spec } = await parseDetectorSpecAsync(detector);
  const fill = ctx.params.fill === 'mean' ? (await Dataset.open(ctx.inputs.dataset)).meanRgb.map(Math.round) : ctx.params.fill;
  const shared = await recordDetector(ctx, detector);
  const settings: EraseSettings = { threshold: ctx.params.threshold, compare: ctx.params.compare, fill: fill as [number, number, number] };
  await ctx.out.json(ERASE_FILE, settings);
  await d.erasePass?.(
    spec,
    await passFiles(ctx, () => {
      throw new Error('an erase pass takes its detector from the pass before, not from given weights');
    }),
  );
  return { ...shared, fill: fill as [number, number, number] };
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
  const p = await erasePass(
    detector,
    { image, prevRaw, prevCombined, prevMask, threshold: env.params.threshold },
    { compare: env.params.compare, fill: env.shared.fill },
  );
  return asResult(p, false);
}

/** MAE, max F-measure and object recall of this pass's S_k over the items that have ground truth. */
export async function passQuality(
  ctx: StageContext<unknown>,
  ids: string[],
  read: (i: number) => Promise<ItemResult>,
  label: string,
): Promise<Record<string, Json>> {
  const dataset = await Dataset.open(ctx.inputs.dataset);
  const q = new SaliencyQuality();
  for (let i = 0; i < ids.length; i++) {
    const fg = await dataset.readForeground(ids[i]);
    if (!fg) continue;
    q.add(fromUint8(SALIENCY.mapOf(await read(i))), fg, (await dataset.readGt(ids[i])) ?? undefined);
  }
  const r = q.summary();
  if (!r.images) return { quality: null };
  ctx.log(
    `${label} on ${r.images} images with ground truth: MAE ${r.mae.toFixed(3)}, max F ${r.maxF.toFixed(3)}, object recall ${formatPercent(r.objectRecall)} (${r.found}/${r.objects})`,
  );
  return {
    quality: {
      images: r.images,
      mae: roundTo(r.mae),
      maxF: roundTo(r.maxF),
      maxFPooled: roundTo(r.maxFPooled),
      objectRecall: roundTo(r.objectRecall),
      objects: r.objects,
      found: r.found,
    },
  };
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
