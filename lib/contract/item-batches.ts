// @dcsp-code-hash: none (a type, an identity function and its reader: editing this file changes no result)
// A per-item stage whose work computes equal-size images in one forward pass declares its items'
// sizes, so that the executor can cut its batches (lib/exec/item-batches.ts) from the stage's whole
// item list before anything runs, and name each item's batch in its key: on a backend whose batch
// kernels round otherwise than one image at a time (tfjs-node's Eigen blocks by batch size), an
// item's bytes depend on its batch, and one key must still mean one set of bytes. The hook sits
// beside the stage contract (stage.ts) rather than in it: a declaration wraps its `perItem` in
// `batchedItems`, and the executor reads it back with `itemSizesOf`.
import type { PixelSize } from '../tensor/batches.ts';
import type { PerItemPlan, StageContext } from './stage.ts';

export type { PixelSize };

export interface BatchedItemPlan<P> extends PerItemPlan<P> {
  /**
   * Each id's size (`ids` is the stage's whole item list, in its order): images of one size go
   * through the network together, up to the backend's pixel budget and `chunkSize` images a pass.
   * Read from what the items are (image headers), never from what is left to compute. The batches
   * replace `order`: a batched plan's `order` is not used.
   */
  sizes(ctx: StageContext<P>, ids: readonly string[]): Promise<PixelSize[]>;
}

/** A declaration's `perItem` whose work batches equal sizes, and whose item keys then name each batch. */
export function batchedItems<P>(plan: BatchedItemPlan<P>): PerItemPlan<P> {
  return plan;
}

/** The sizes hook of a `batchedItems` plan; undefined for any other plan. */
export function itemSizesOf<P>(plan: PerItemPlan<P>): BatchedItemPlan<P>['sizes'] | undefined {
  const sizes = (plan as Partial<BatchedItemPlan<P>>).sizes;
  return typeof sizes === 'function' ? sizes.bind(plan) : undefined;
}
