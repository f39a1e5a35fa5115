// The saliency-train stage's work (stages/saliency-train.ts): train a DHSNet on a class-agnostic
// saliency set with the shared training loop (lib/model/train-loop.ts: poly rate, momentum SGD,
// checkpoints in the stage's work dir, resume, the NaN stop, progress), the loss of
// dhsnet-loss.ts, and flip + scale augmentation
// (lib/model/augment.ts) of images brought to the network's input size. It commits the weights
// (tfjs format, the network's configuration in the metadata), the loss curve and the detector's
// quality on held-out images of the same set.

import { roundTo } from '../format.ts';
import { readdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { renderAgnostic, type AgnosticSample } from '../data/toy-agnostic.ts';
import { decodeRgb } from '../data/image-io.ts';
import type { RunWork, StageContext } from '../contract/stage.ts';
import { SaliencyQuality } from '../metrics/saliency.ts';
import { augment, sampleRng } from '../model/augment.ts';
import { resolveImagenetWeights } from '../model/init-download.ts';
import { loadKerasWeights, vgg16KerasMapping } from '../model/keras-weights.ts';
import { CURVE_FILE } from '../layouts/model.ts';
import { epochOrder, loopSettings } from './training.ts';
import { trainLoop } from '../model/train-loop.ts';
import type { Json } from '../store/canonical-json.ts';
import { initBackend } from '../tensor/backend.ts';
import { saveCheckpoint } from '../tensor/checkpoint.ts';
import type { Map8, RgbImage } from '../types.ts';
import { buildDhsnet, dhsnetConfig, type DhsnetModel } from '../saliency/dhsnet-model.ts';
import { saliencyObjective } from '../saliency/dhsnet-loss.ts';
import { dhsnetPreprocess, predictMap, type DhsnetMetadata } from '../saliency/dhsnet.ts';
import { resizeMap, resizeRgbToFloat } from '../saliency/resample.ts';
import { TRAINED_WEIGHTS_DIR } from '../saliency/spec.ts';
import { prepareDuts } from '../saliency/duts.ts';
import type { SaliencyTrainParams } from '../../stages/saliency-train.ts';

interface Example {
  image: RgbImage;
  mask: Map8;
}

/** A saliency set: training examples by index, and held-out ones for the quality figures. */
interface SaliencySet {
  train: number;
  holdout: number;
  example(i: number): Promise<Example>;
  heldOut(i: number): Promise<Example>;
}

function agnosticSet(p: SaliencyTrainParams): SaliencySet {
  const one = async (i: number): Promise<AgnosticSample> => renderAgnostic(p.seed, i, p.toy);
  return { train: p.count, holdout: p.holdout, example: one, heldOut: (i) => one(p.count + i) };
}

async function folderSet(p: SaliencyTrainParams): Promise<SaliencySet> {
  if (!p.images || !p.masks) throw new Error('saliency-train: source folder needs images and masks');
  const names = (await readdir(p.images)).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
  if (names.length <= p.holdout) throw new Error(`saliency-train: ${p.images} has ${names.length} images, fewer than holdout + 1`);
  const read = async (name: string): Promise<Example> => {
    const image = await decodeRgb(join(p.images!, name));
    const m = await decodeRgb(join(p.masks!, `${basename(name, extname(name))}.png`));
    const data = new Uint8Array(m.width * m.height);
    for (let i = 0; i < data.length; i++) data[i] = m.data[3 * i] > 127 ? 1 : 0;
    return { image, mask: { width: m.width, height: m.height, data } };
  };
  const train = names.length - p.holdout;
  return { train, holdout: p.holdout, example: (i) => read(names[i]), heldOut: (i) => read(names[train + i]) };
}

/** An example at the network's input size (as the detector resizes), the mask thresholded at half. */
function toInputSize(ex: Example, size: number): Example {
  const rgb = resizeRgbToFloat(ex.image, size, size, 'triangle');
  const image = { width: size, height: size, data: Uint8Array.from(rgb, (v) => Math.max(0, Math.min(255, Math.round(v)))) };
  const m = resizeMap({ width: ex.mask.width, height: ex.mask.height, data: Float32Array.from(ex.mask.data) }, size, size, 'triangle');
  return { image, mask: { width: size, height: size, data: Uint8Array.from(m.data, (v) => (v >= 0.5 ? 1 : 0)) } };
}

export const work = { run: runSaliencyTraining } satisfies RunWork<SaliencyTrainParams>;

async function runSaliencyTraining(ctx: StageContext<SaliencyTrainParams>): Promise<Record<string, Json>> {
  const p = ctx.params;
  await initBackend({ log: ctx.log });
  const cfg = dhsnetConfig(p.variant, p.size ? [p.size, p.size] : undefined, p.widthDivisor);
  const size = cfg.inputSize[0];
  const set =
    p.source === 'toy-agnostic'
      ? agnosticSet(p)
      : await folderSet(
          p.source === 'duts'
            ? { ...p, ...(await prepareDuts(ctx.dataDir, { ...(p.duts ?? {}), progress: ctx.progress, log: ctx.log, signal: ctx.signal })) }
            : p,
        );
  const resized = new Map<number, Example>();
  const trainExample = async (i: number): Promise<Example> => {
    let ex = resized.get(i);
    if (!ex) {
      ex = toInputSize(await set.example(i), size);
      // small at network size (64 px: 16 KB), so the toy set stays in memory; real sets up to a cap
      if (resized.size < 20000) resized.set(i, ex);
    }
    return ex;
  };
  const order = epochOrder(
    Array.from({ length: set.train }, (_, i) => String(i)),
    p.seed,
  );

  const model = buildDhsnet(cfg, p.seed);
  let initLoaded: number | null = null;
  try {
    if (p.init !== 'none') {
      if (p.variant !== 'dhsnet') throw new Error(`saliency-train: init ${p.init}: only the full dhsnet has VGG16's layers`);
      const file = await resolveImagenetWeights('deeplab-largefov-vgg16', p.init, join(ctx.dataDir, 'weights'));
      const report = await loadKerasWeights(model, file, vgg16KerasMapping());
      ctx.log(`init: ${report.loaded.length} tensors from ${file}, ${report.randomInit.length} random`);
      initLoaded = report.loaded.length;
    }
    const t0 = performance.now();
    const result = await trainLoop({
      model,
      objective: saliencyObjective(model, p.weightDecay),
      iterations: p.iterations,
      batch: p.batch,
      crop: size,
      sampler: async (iteration, slot) => {
        const ex = await trainExample(Number(order(iteration * p.batch + slot)));
        const a = augment(ex.image, ex.mask, { crop: size, scale: p.scale, mirror: p.mirror }, sampleRng(p.seed, iteration, slot));
        return { image: a.image, cue: a.label, classes: [] };
      },
      ...loopSettings(ctx, p),
      runTag: { seed: p.seed, scaleLo: p.scale[0], scaleHi: p.scale[1], mirror: p.mirror, source: p.source, size },
    });
    const seconds = (performance.now() - t0) / 1000;
    const meta: DhsnetMetadata = { dhsnet: cfg };
    await saveCheckpoint(await ctx.out.path(TRAINED_WEIGHTS_DIR), {
      weights: model.weights(),
      iteration: result.iterations,
      extra: { config: { model: cfg.variant, ...meta } },
    });
    await ctx.out.json(CURVE_FILE, result.curve);
    const tail = result.curve.slice(-Math.max(1, Math.floor(result.curve.length / 10)));
    const finalLoss = tail.reduce((a, c) => a + c.loss, 0) / tail.length;
    const quality = await heldOutQuality(model, set);
    const ran = result.iterations - result.resumedFrom;
    ctx.log(
      `saliency-train: ${cfg.variant} ${size}x${size}, ${ran} iterations in ${seconds.toFixed(0)} s${result.resumedFrom ? ` (resumed from ${result.resumedFrom})` : ''}; final loss ${finalLoss.toFixed(4)}` +
        (quality ? `; held-out MAE ${quality.mae.toFixed(3)}, max F ${quality.maxF.toFixed(3)}` : ''),
    );
    return {
      model: cfg.variant,
      initLoaded,
      iterations: result.iterations,
      resumedFrom: result.resumedFrom,
      trainSeconds: roundTo(seconds),
      finalLoss: roundTo(finalLoss),
      firstLoss: roundTo(result.curve[0]?.loss ?? NaN),
      heldOut: quality ? { images: set.holdout, mae: roundTo(quality.mae), maxF: roundTo(quality.maxF) } : null,
    };
  } finally {
    model.dispose();
  }
}

async function heldOutQuality(model: DhsnetModel, set: SaliencySet): Promise<{ mae: number; maxF: number } | null> {
  if (set.holdout === 0) return null;
  const pre = dhsnetPreprocess(model.config);
  const q = new SaliencyQuality();
  for (let i = 0; i < set.holdout; i++) {
    const ex = await set.heldOut(i);
    q.add(await predictMap(model, pre, ex.image), ex.mask);
  }
  const s = q.summary();
  return { mae: s.mae, maxF: s.maxF };
}
