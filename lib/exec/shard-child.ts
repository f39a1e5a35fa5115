// Entry of a shard process (gpu-shards.ts): `node --import tsx shard-child.ts`, a share of a
// per-item stage's chunks on stdin, computed on this process's threads (it sees only its card),
// each item's file written as its chunk finishes. Counts and the end go back on the IPC channel.
import type { ShardJob, ShardMessage } from './gpu-shards.ts';
import { writeItemFile } from './item-file.ts';
import { computeChunks } from './item-scheduler.ts';
import { seenEnv } from './stage-place.ts';
import { failureLine } from './stage-failure.ts';
import { useNumerics } from '../tensor/numerics.ts';

function send(m: ShardMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) {
      process.stderr.write(`${JSON.stringify(m)}\n`);
      resolve();
      return;
    }
    try {
      process.send(m, () => resolve());
    } catch {
      resolve();
    }
  });
}

let ending = false;
async function fail(err: unknown): Promise<void> {
  if (ending) return;
  ending = true;
  await send({ kind: 'end', ok: false, error: failureLine(err) });
  process.exit(1);
}
process.on('uncaughtException', (err) => void fail(err));
process.on('unhandledRejection', (err) => void fail(err));

async function readJob(): Promise<ShardJob> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return JSON.parse(text) as ShardJob;
}

try {
  const job = await readJob();
  const controller = new AbortController();
  process.on('SIGTERM', () => controller.abort(new Error('terminated')));
  // orphaned (the stage's process was killed outright): stop rather than write items nobody assembles
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(1);
  }, 1000).unref();
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
    signal: controller.signal,
  });
  ending = true;
  await send({ kind: 'end', ok: true, env: seenEnv() });
  process.disconnect?.();
} catch (err) {
  await fail(err);
}
