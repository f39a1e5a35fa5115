// Per-item chunks as jobs: the worker that holds a per-item stage queues its chunks on the items
// queue and waits; any worker computes them and writes each item's file into the stage's work
// folder on the shared cache, where the stage assembles them as it does locally.
import { relative } from 'node:path';
import type { Job, Queue } from 'bullmq';
import type { ChunkRunner } from '../exec/item-scheduler.ts';
import type { ItemTask } from '../exec/item-task.ts';
import type { KeyParts } from '../contract/key.ts';
import { chunkJobId, finished, submit, type ChunkJobData, type ChunkJobReturn } from './jobs.ts';

export interface ChunkContext {
  stage: string;
  key: string;
  /** the stage key's recipe (the worker checks its chunks against it) */
  parts: KeyParts;
  cacheRoot: string;
}

export function remoteChunks(queue: Queue, c: ChunkContext, log: (line: string) => void): ChunkRunner {
  return {
    async run(tasks: ItemTask[], fileOf: (id: string) => string, computed: (n: number) => void, signal: AbortSignal): Promise<void> {
      const toCache = (p: string): string => relative(c.cacheRoot, p);
      const waits = tasks.map(async (t) => {
        const data: ChunkJobData = {
          stage: c.stage,
          key: c.key,
          parts: c.parts,
          params: t.params,
          shared: t.shared,
          inputs: Object.fromEntries(Object.entries(t.inputs).map(([slot, dir]) => [slot, toCache(dir)])),
          ids: t.ids,
          ...(t.batches ? { batches: t.batches } : {}),
          files: t.ids.map((id) => toCache(fileOf(id))),
          ...(t.numerics ? { numerics: t.numerics } : {}),
        };
        const id = chunkJobId(data);
        // a chunk is never 'committed' on its own (its files are checked by whoever computes it)
        const job = (await submit(queue, 'items', id, data)) as Job;
        const end = await finished<ChunkJobReturn>(queue, job, () => submit(queue, 'items', id, data), log);
        if (!end.ok) throw new Error(end.reason);
        signal.throwIfAborted();
        computed(t.ids.length);
      });
      // every chunk is waited for, so none is still writing when the stage assembles or fails
      const settled = await Promise.allSettled(waits);
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
