// A per-item stage's batches, for a stage whose declaration gives its items' sizes
// (lib/contract/item-batches.ts): cut from the stage's WHOLE item list (equal sizes together, sizes
// in order of first appearance, ids in the stage's order within a size, each batch within the pixel
// budget of the backend its key names and within `chunkSize` images), so a batch is the same
// whatever is left to compute, on every machine that plans the stage. Each member's key names its
// batch (item-keys.ts batchedKeys); a batch with any member still to compute is computed whole,
// and the tasks hand each batch to the work as one `computeBatch` call (item-task.ts).
import { itemSizesOf } from '../contract/item-batches.ts';
import type { PerItemPlan, StageContext } from '../contract/stage.ts';
import { batchPixelsOn, sizeGroups } from '../tensor/batches.ts';
import type { Numerics } from '../tensor/numerics.ts';
import type { ItemTask } from './item-task.ts';

/** items per worker task when a declaration does not say (PerItemPlan.chunkSize) */
export const DEFAULT_CHUNK_SIZE = 8;

/**
 * The stage's batches as indices into `ids`, or null when its declaration gives no sizes (its
 * chunks are then scheduling only, and every item keeps its own key). `numerics` is the stage
 * key's: the budget follows the backend the key names, never the process that computes.
 */
export async function planBatches<P>(
  spec: PerItemPlan<P>,
  ctx: StageContext<P>,
  ids: readonly string[],
  numerics: Numerics | undefined,
): Promise<number[][] | null> {
  const sizesOf = itemSizesOf(spec);
  if (!sizesOf) return null;
  const sizes = await sizesOf(ctx, ids);
  if (sizes.length !== ids.length) throw new Error(`stage ${ctx.stage}: its item sizes are ${sizes.length} for ${ids.length} items`);
  sizes.forEach((s, i) => {
    if (!(Number.isInteger(s.width) && Number.isInteger(s.height) && s.width > 0 && s.height > 0))
      throw new Error(`stage ${ctx.stage}: item ${ids[i]} has no size (${s.width}x${s.height})`);
  });
  return sizeGroups(sizes, batchPixelsOn(numerics?.backend), spec.chunkSize ?? DEFAULT_CHUNK_SIZE);
}

/** A task's items: ids in batch order, and the length of each of its batches (summing to ids.length). */
export interface BatchedChunk {
  ids: string[];
  batches: number[];
}

/**
 * The batches with any member in `todo`, whole, packed in order into tasks of at most `chunkSize`
 * items (a batch is never split; one larger than that is a task of its own).
 */
export function batchChunks(ids: readonly string[], batches: readonly (readonly number[])[], todo: ReadonlySet<string>, chunkSize: number): BatchedChunk[] {
  const out: BatchedChunk[] = [];
  let cur: BatchedChunk = { ids: [], batches: [] };
  for (const batch of batches) {
    const members = batch.map((i) => ids[i]);
    if (!members.some((id) => todo.has(id))) continue;
    if (cur.ids.length > 0 && cur.ids.length + members.length > Math.max(1, chunkSize)) {
      out.push(cur);
      cur = { ids: [], batches: [] };
    }
    cur.ids.push(...members);
    cur.batches.push(members.length);
  }
  if (cur.ids.length > 0) out.push(cur);
  return out;
}

/**
 * What of a task is still to compute when only the items in `todo` lack their files (a distributed
 * worker retrying a chunk a killed one began): its batches with any such member, whole, since a
 * member's key names its batch; a task without batches keeps just those items.
 */
export function remainingTask(task: ItemTask, todo: ReadonlySet<string>): ItemTask {
  if (task.batches === undefined) return { ...task, ids: task.ids.filter((id) => todo.has(id)) };
  const left = consecutive(task.batches)
    .map((batch) => batch.map((i) => task.ids[i]))
    .filter((members) => members.some((id) => todo.has(id)));
  return { ...task, ids: left.flat(), batches: left.map((members) => members.length) };
}

/** Batch lengths as index lists of consecutive items: [2, 1] -> [[0, 1], [2]]. */
export function consecutive(lengths: readonly number[]): number[][] {
  let from = 0;
  return lengths.map((n) => {
    const batch = Array.from({ length: n }, (_, k) => from + k);
    from += n;
    return batch;
  });
}
