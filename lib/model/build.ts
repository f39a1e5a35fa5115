// Models by name, and loading a trained one from a checkpoint directory (one call per worker).

import { assignWeights, disposeCheckpoint, loadCheckpoint } from '../tensor/checkpoint.ts';
import { buildDeeplabLite } from './deeplab-lite.ts';
import { HEAD_LAYER, MODEL_NAMES, type ModelName, type SegmentationModel } from './model.ts';
import { buildResnet101 } from './resnet101.ts';
import { buildVgg16LargeFov } from './vgg16-largefov.ts';

export interface BuildOptions {
  /** the classes it segments, background included: the dataset's class list's length */
  classes: number;
  /** seed of the random initialisation (He for trunks, N(0, 0.01) for ASPP and head); default 0 */
  seed?: number;
  /**
   * Divide every channel count of the paper models by this (1, 2, 4, 8, 16, 32, 64): the same
   * layers and parameter names at a fraction of the size. For tests; default 1.
   */
  widthDivisor?: number;
}

export function isModelName(name: string): name is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(name);
}

export function buildModel(name: ModelName, opts: BuildOptions): SegmentationModel {
  const { classes } = opts;
  if (!Number.isInteger(classes) || classes < 2) throw new Error(`a model needs background and at least one class (got ${classes} classes)`);
  const seed = opts.seed ?? 0;
  const d = opts.widthDivisor ?? 1;
  if (![1, 2, 4, 8, 16, 32, 64].includes(d)) throw new Error(`widthDivisor must be a power of two up to 64 (got ${d})`);
  switch (name) {
    case 'deeplab-lite':
      return buildDeeplabLite(seed, classes, 8);
    case 'deeplab-lite-os4':
      return buildDeeplabLite(seed, classes, 4);
    case 'deeplabv2-resnet101':
      return buildResnet101(seed, classes, d);
    case 'deeplab-largefov-vgg16':
      return buildVgg16LargeFov(seed, classes, d);
    default:
      throw new Error(`unknown model '${String(name)}' (choose one of ${MODEL_NAMES.join(', ')})`);
  }
}

/** Copy a checkpoint's weights into a model (every parameter must be present with its shape). */
export async function loadModelWeights(model: SegmentationModel, checkpointDir: string): Promise<number> {
  const ck = await loadCheckpoint(checkpointDir);
  try {
    const vars = Object.fromEntries([...model.params].map(([n, p]) => [n, p.variable]));
    assignWeights(vars, ck.weights);
    return ck.iteration;
  } finally {
    disposeCheckpoint(ck);
  }
}

/**
 * Build the model a checkpoint was trained as (its name and width divisor are in the checkpoint's
 * config, written by the training stages; its class count is the FCAN head's input width) and load
 * its weights. `name` overrides, for checkpoints written by other means.
 */
export async function loadModelCheckpoint(checkpointDir: string, name?: ModelName): Promise<{ model: SegmentationModel; widthDivisor: number }> {
  const ck = await loadCheckpoint(checkpointDir);
  let model: SegmentationModel | null = null;
  try {
    const config = ck.extra.config as { model?: unknown; widthDivisor?: unknown } | undefined;
    const saved = config?.model;
    const modelName = name ?? (typeof saved === 'string' && isModelName(saved) ? saved : undefined);
    if (modelName === undefined) throw new Error(`checkpoint ${checkpointDir} does not say which model it holds; pass the name`);
    const widthDivisor = typeof config?.widthDivisor === 'number' ? config.widthDivisor : 1;
    model = buildModel(modelName, { widthDivisor, classes: checkpointClasses(ck.weights, checkpointDir) });
    const vars = Object.fromEntries([...model.params].map(([n, p]) => [n, p.variable]));
    assignWeights(vars, ck.weights);
    return { model, widthDivisor };
  } catch (err) {
    model?.dispose();
    throw err;
  } finally {
    disposeCheckpoint(ck);
  }
}

/** The class count a checkpoint's weights were trained for: the FCAN head's kernel is [1, 1, C, C - 1]. */
function checkpointClasses(weights: Record<string, { shape: number[] }>, dir: string): number {
  const head = weights[`${HEAD_LAYER}/weights`];
  if (head?.shape.length !== 4) throw new Error(`checkpoint ${dir} has no FCAN head (${HEAD_LAYER}/weights), so its class count is unknown`);
  return head.shape[2];
}

export async function loadModel(checkpointDir: string, name?: ModelName): Promise<SegmentationModel> {
  return (await loadModelCheckpoint(checkpointDir, name)).model;
}
