// Entry of a shard process (gpu-shards.ts): `node --import tsx shard-child.ts`, a share of a
// per-item stage's chunks on stdin, computed on this process's threads (it sees only its card),
// each item's file written as its chunk finishes. Counts and the end go back on the IPC channel.
import { failOnce, readJobFromStdin, sendToParent, stopWithParent } from './child-channel.ts';
import type { ShardJob, ShardMessage } from './gpu-shards.ts';
import { writeItemFile } from './item-file.ts';
import { computeChunks } from './item-scheduler.ts';
import { seenEnv } from './stage-place.ts';
import { failureLine } from './stage-failure.ts';
import { useNumerics } from '../tensor/numerics.ts';

const send = (m: ShardMessage): Promise<void> => sendToParent(m, JSON.stringify(m));
const { fail, done } = failOnce((err) => send({ kind: 'end', ok: false, error: failureLine(err) }));

try {
  const job = await readJobFromStdin<ShardJob>();
  const signal = stopWithParent();
  // set up for the numerics the stage's key names before any item loads TensorFlow
  const numerics = job.tasks[0]?.numerics;
  if (numerics) useNumerics(numerics);
  const fileOf = new Map(job.tasks.flatMap((t, i) => t.ids.map((id, j) => [id, job.files[i][j]] as const)));
  const file = (id: string): string => {
    const f = fileOf.get(id);
    if (!f) throw new Error(`shard of ${job.stage}: no item file given for ${id}`);
    return f;
  };
  await computeChunks({
    tasks: job.tasks,
    workers: job.workers,
    fileOf: file,
    save: async (batch) => {
      for (const { id, result } of batch) await writeItemFile(file(id), result);
      await send({ kind: 'items', n: batch.length });
    },
    computed: () => undefined,
    signal,
  });
  done();
  await send({ kind: 'end', ok: true, env: seenEnv() });
  process.disconnect?.();
} catch (err) {
  await fail(err);
}
