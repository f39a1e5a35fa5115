// Which images one forward pass takes together: equal sizes, up to a pixel budget that depends on
// the backend. The executor cuts a per-image stage's batches with it from the stage's whole item
// list, before anything runs (lib/exec/item-batches.ts), and every member's item key names its
// batch, so the budget is decided where the keys are made, from the backend the key names; the
// network code (lib/model/inference-batch.ts) runs whatever batch it is given as one pass.
// Nothing here loads tfjs: the plan side and the distributed check import it.

/**
 * The most input pixels (images x height x width, at scale 1) one forward pass takes on a CPU
 * backend. Measured (bench/per-image-batch.ts, docs/voc-and-gpus.md#per-image-stages-batched): on
 * the toy's 80-96 px images a batch of up to 8 is faster than one image at a time on tfjs-node and
 * wasm, while on tfjs-node at VOC's 500x375 a batch was several times slower than one image at a
 * time. 2^17 takes a whole chunk of toy images (8 x 96 x 96 = 73,728) and one VOC image (187,500).
 */
export const CPU_BATCH_PIXELS = 131_072;

/**
 * The same for tfjs-node-gpu: NOT measured (no GPU where this was written). 2^20 is five VOC images
 * of 500x375 (four of 500x500) at scale 1, about what the voc profile's training holds for its
 * forward and backward pass (batch 10 of 321x321 crops) on the card it is meant for.
 */
export const GPU_BATCH_PIXELS = 1_048_576;

const BUDGETS: Readonly<Record<string, number>> = {
  wasm: CPU_BATCH_PIXELS,
  cpu: CPU_BATCH_PIXELS,
  'tfjs-node': CPU_BATCH_PIXELS,
  'tfjs-node-gpu': GPU_BATCH_PIXELS,
};

/** The pixel budget of a forward pass on `backend` (a stage key's numerics); 0, one image a pass, for none or an unknown one. */
export function batchPixelsOn(backend: string | undefined): number {
  return backend !== undefined && Object.hasOwn(BUDGETS, backend) ? BUDGETS[backend] : 0;
}

export interface PixelSize {
  width: number;
  height: number;
}

/**
 * Indices of `images` in forward passes: equal sizes together, sizes in order of first appearance,
 * each in input order, split so that no pass holds more than `maxPixels` input pixels nor more than
 * `maxImages` images (a single image over the budget is a pass of its own).
 */
export function sizeGroups(images: readonly PixelSize[], maxPixels = Number.POSITIVE_INFINITY, maxImages = Number.POSITIVE_INFINITY): number[][] {
  const groups = new Map<string, number[]>();
  images.forEach((im, i) => {
    const k = `${im.width}x${im.height}`;
    const g = groups.get(k);
    if (g) g.push(i);
    else groups.set(k, [i]);
  });
  const passes: number[][] = [];
  for (const g of groups.values()) {
    const per = Math.max(1, Math.min(maxImages, Math.floor(maxPixels / (images[g[0]].width * images[g[0]].height))));
    for (let i = 0; i < g.length; i += per) passes.push(g.slice(i, i + per));
  }
  return passes;
}
