// Where a per-item stage's chunks are computed: on another engine when one is given (a distributed
// run's items queue, lib/distributed/chunks.ts), else on this thread, else on a pool of worker
// threads. Each chunk's items go to `save` as they finish, in completion order; assembly restores
// id order.
import { pathToFileURL } from 'node:url';
import { libFile } from '../paths.ts';
import { runItemTask, type ItemTask, type ItemTaskResult } from './item-task.ts';

/** Another engine for the chunks: each chunk's items are computed and their files written there. */
export interface ChunkRunner {
  run(tasks: ItemTask[], fileOf: (id: string) => string, computed: (n: number) => void, signal: AbortSignal): Promise<void>;
}

export interface ItemChunks {
  /** one task per chunk */
  tasks: ItemTask[];
  /** threads of this machine the stage may use */
  workers: number;
  /** the other engine, when the run has one: it writes the item files itself */
  remote?: ChunkRunner;
  /** the item file of an id (for the other engine) */
  fileOf(id: string): string;
  /** keeps a computed chunk (writes its item files) and counts it */
  save(batch: ItemTaskResult[]): Promise<void>;
  /** counts items the other engine computed */
  computed(n: number): void;
  signal: AbortSignal;
}

/** `ids` in chunks of `size` (at least 1), in order. */
export function chunkIds(ids: string[], size: number): string[][] {
  const step = Math.max(1, size);
  const out: string[][] = [];
  for (let i = 0; i < ids.length; i += step) out.push(ids.slice(i, i + step));
  return out;
}

// One stage at a time computes items on this thread: two would share one tfjs engine and one item
// environment, interleaved at every await. A second one gets a worker thread of its own.
let computingHere = false;

export async function computeChunks(c: ItemChunks): Promise<void> {
  // the other engine hears of an empty list too: it may hold something for the chunks (a GPU shard's card) to let go
  if (c.remote) {
    await c.remote.run(c.tasks, c.fileOf, c.computed, c.signal);
    return;
  }
  if (c.tasks.length === 0) return;
  // items run side by side on `threads` JS threads, each op on one TensorFlow thread (the stage's
  // numerics, set up by stage-runner.ts): a pool under each would oversubscribe the cores
  const threads = Math.min(c.workers, c.tasks.length);
  if (threads <= 1 && !computingHere) {
    computingHere = true;
    try {
      for (const task of c.tasks) {
        c.signal.throwIfAborted();
        await c.save(await runItemTask(task));
      }
    } finally {
      computingHere = false;
    }
  } else {
    await runOnPool(Math.max(1, threads), c.tasks, c.save, c.signal);
  }
}

async function runOnPool(threads: number, tasks: ItemTask[], save: (batch: ItemTaskResult[]) => Promise<void>, signal: AbortSignal): Promise<void> {
  const { default: Tinypool } = await import('tinypool');
  const pool = new Tinypool({ filename: pathToFileURL(libFile('exec/item-worker.mjs')).href, minThreads: threads, maxThreads: threads });
  let failure: Error | null = null;
  let next = 0;
  const lane = async (): Promise<void> => {
    while (!failure && next < tasks.length && !signal.aborted) {
      const task = tasks[next++];
      try {
        await save((await pool.run(task)) as ItemTaskResult[]);
      } catch (err) {
        failure ??= err as Error;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: threads }, lane));
  } finally {
    await pool.destroy();
  }
  if (failure) throw failure;
  signal.throwIfAborted();
}
