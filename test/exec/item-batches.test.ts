// The pieces of keyed batches on their own (lib/exec/item-batches.ts, item-keys.ts batchedKeys):
// tasks hold whole batches, a retried chunk keeps its batches whole, and a key names its batch's
// members and their order. test/engine/item-batch-keys.test.ts runs them through the CLI.
import { describe, expect, it } from 'vitest';
import { batchChunks, remainingTask } from '../../lib/exec/item-batches.ts';
import { batchedKeys } from '../../lib/exec/item-keys.ts';
import type { ItemTask } from '../../lib/exec/item-task.ts';

const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
// a, c, e of one size; b, d of another; f, g of a third
const batches = [
  [0, 2, 4],
  [1, 3],
  [5, 6],
];

describe('batched items', () => {
  it('go to tasks as whole batches still to compute, packed up to the chunk size', () => {
    expect(batchChunks(ids, batches, new Set(ids), 4)).toEqual([
      { ids: ['a', 'c', 'e'], batches: [3] },
      { ids: ['b', 'd', 'f', 'g'], batches: [2, 2] },
    ]);
    // one member left takes its whole batch; a batch with nothing left is not computed
    expect(batchChunks(ids, batches, new Set(['c', 'g']), 8)).toEqual([{ ids: ['a', 'c', 'e', 'f', 'g'], batches: [3, 2] }]);
    // a batch larger than the chunk size is a task of its own, never split
    expect(batchChunks(ids, batches, new Set(ids), 2)).toEqual([
      { ids: ['a', 'c', 'e'], batches: [3] },
      { ids: ['b', 'd'], batches: [2] },
      { ids: ['f', 'g'], batches: [2] },
    ]);
  });

  it('of a retried chunk are computed whole when any member is left', () => {
    const task: ItemTask = { module: 'm', params: {}, shared: null, inputs: {}, ids: ['a', 'c', 'e', 'b', 'd'], batches: [3, 2] };
    expect(remainingTask(task, new Set(['e']))).toMatchObject({ ids: ['a', 'c', 'e'], batches: [3] });
    expect(remainingTask(task, new Set(['b', 'a']))).toMatchObject({ ids: ['a', 'c', 'e', 'b', 'd'], batches: [3, 2] });
    // without batches, only the items left
    expect(remainingTask({ ...task, batches: undefined }, new Set(['e']))).toMatchObject({ ids: ['e'] });
  });

  it('have keys naming their batch: members and order; a batch of one keeps its own key', () => {
    const own = ids.map((x) => `own-${x}`);
    const keys = batchedKeys(own, batches);
    expect(keys[5]).not.toBe(own[5]);
    expect(new Set(keys).size).toBe(ids.length);
    expect(batchedKeys(own, [[0, 2, 4], [1, 3], [5], [6]]).slice(5)).toEqual([own[5], own[6]]);
    // another order of the same members is another batch
    const swapped = batchedKeys(own, [
      [2, 0, 4],
      [1, 3],
      [5, 6],
    ]);
    for (const i of [0, 2, 4]) expect(swapped[i]).not.toBe(keys[i]);
    for (const i of [1, 3, 5, 6]) expect(swapped[i]).toBe(keys[i]);
    // a mate's own key changes every member's key, and no other
    const changed = batchedKeys(
      own.map((k, i) => (i === 3 ? `${k}'` : k)),
      batches,
    );
    expect(changed.map((k, i) => k !== keys[i])).toEqual([false, true, false, true, false, false, false]);
    expect(() =>
      batchedKeys(own, [
        [0, 1],
        [1, 2],
      ]),
    ).toThrow(/in no batch or in two/);
    expect(() => batchedKeys(own, [[0, 1]])).toThrow(/in no batch/);
  });
});
