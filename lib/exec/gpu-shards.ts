// A per-item stage spread over several GPUs. The executor holds the stage's own card and every
// other card free when it starts (shard-holds.ts); the stage's process, which sees only its own
// card, plans the items as always (ids, keys, reuse) and then splits the chunks still to compute
// into shares: the first on its own threads, each other one in a process of its own that sees only
// one of the extra cards (shard-child.ts). tfjs places every thread of a process on the cards that
// process sees, so a card needs a process. Every process writes the item files of its chunks as
// they finish (item-file.ts: whole or absent), so a kill loses no finished item and the next run
// reuses them; the stage's process assembles the artifact from the files in id order, as it does
// without shards, so the bytes are a run's on one card.
import type { ItemTask } from './item-task.ts';
import { writeItemFile } from './item-file.ts';
import { computeChunks, type ChunkRunner } from './item-scheduler.ts';
import { libFile, TSX_LOADER } from '../paths.ts';
import type { SeenEnv } from './stage-place.ts';

/** An extra card the executor holds for this stage: its index and the environment its process gets. */
export interface ShardSlot {
  gpu: number;
  env: Record<string, string>;
}

/** What a shard process is given on its stdin. */
export interface ShardJob {
  stage: string;
  tasks: ItemTask[];
  /** each task's item files, in its ids' order */
  files: string[][];
  /** its worker threads */
  workers: number;
}

/** What a shard process sends on its IPC channel: items as they are written, then its end. */
export type ShardMessage = { kind: 'items'; n: number } | { kind: 'end'; ok: true; env: SeenEnv } | { kind: 'end'; ok: false; error: string };

/** What the stage's process tells the executor when a shard's process has ended and its card is free. */
export interface ShardDone {
  kind: 'shard-done';
  /** the card (ShardSlot.gpu) */
  gpu: number;
  /** items it computed */
  items: number;
  threads: number;
  /** the GPU variables its process saw; null: it ran no process (nothing was left for it) */
  env: SeenEnv | null;
}

export function isShardDone(m: unknown): m is ShardDone {
  return typeof m === 'object' && m !== null && (m as { kind?: unknown }).kind === 'shard-done' && typeof (m as ShardDone).gpu === 'number';
}

const SHARD_CHILD = libFile('exec/shard-child.ts');

/**
 * The chunk runner of a stage process given extra cards: chunk j goes to share j mod S, where S is
 * the cards that get any (at most one share per chunk); the process's own threads compute share 0
 * and a process per extra card the others. The stage's worker threads are divided among the
 * shares (the cores do not multiply with the cards). A failed share stops the others; what they
 * wrote stays for the next run. `notify` is told as each extra card is let go.
 */
export function shardedChunks(shards: ShardSlot[], stage: string, workers: number, notify: (m: ShardDone) => void): ChunkRunner {
  return {
    async run(tasks, fileOf, computed, signal) {
      const used = Math.min(shards.length + 1, tasks.length);
      const threads = Math.max(1, Math.floor(workers / Math.max(1, used)));
      // cards left without a chunk are let go at once
      for (const s of shards.slice(Math.max(0, used - 1))) notify({ kind: 'shard-done', gpu: s.gpu, items: 0, threads: 0, env: null });
      if (used === 0) return;
      const shares = Array.from({ length: used }, (_, k) => tasks.filter((_, j) => j % used === k));
      const stop = new AbortController();
      const onAbort = (): void => stop.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      const failFast = <T>(p: Promise<T>): Promise<T> =>
        p.catch((err: unknown) => {
          stop.abort(err);
          throw err;
        });
      const own = computeChunks({
        tasks: shares[0],
        workers: threads,
        fileOf,
        save: async (batch) => {
          for (const { id, result } of batch) await writeItemFile(fileOf(id), result);
          computed(batch.length);
        },
        computed,
        signal: stop.signal,
      });
      const others = shares.slice(1).map(async (share, k) => {
        const slot = shards[k];
        const job: ShardJob = { stage, tasks: share, files: share.map((t) => t.ids.map(fileOf)), workers: threads };
        let items = 0;
        try {
          const env = await runShard(
            job,
            slot.env,
            (n) => {
              items += n;
              computed(n);
            },
            stop.signal,
          );
          notify({ kind: 'shard-done', gpu: slot.gpu, items, threads, env });
        } catch (err) {
          notify({ kind: 'shard-done', gpu: slot.gpu, items, threads, env: null });
          throw err;
        }
      });
      try {
        // every share is waited for, so none is still writing when the stage assembles or fails
        const settled = await Promise.allSettled([failFast(own), ...others.map(failFast)]);
        const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
        if (failed) throw signal.aborted ? signal.reason : failed.reason;
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },
  };
}

/** One share in a process of its own with `env` (its card); resolves with what that process saw. */
async function runShard(job: ShardJob, env: Record<string, string>, written: (n: number) => void, signal: AbortSignal): Promise<SeenEnv> {
  const { execa } = await import('execa');
  const run = execa(process.execPath, ['--import', TSX_LOADER, SHARD_CHILD], {
    input: JSON.stringify(job),
    stdio: ['pipe', 'inherit', 'inherit'],
    ipc: true,
    serialization: 'json',
    env,
    cancelSignal: signal,
    reject: false,
    buffer: { stdout: false, stderr: false, ipc: false },
  });
  let end: ShardMessage | undefined;
  const messages = (async () => {
    for await (const m of run.getEachMessage()) {
      const msg = m as ShardMessage;
      if (msg.kind === 'items') written(msg.n);
      else end = msg;
    }
  })();
  const child = await run;
  await messages.catch(() => undefined);
  if (end?.kind === 'end' && end.ok) return end.env;
  signal.throwIfAborted();
  const why = end?.kind === 'end' && !end.ok ? end.error : child.signal ? `killed by ${child.signal}` : `exited with code ${child.exitCode}`;
  throw new Error(`the shard of ${job.stage} on CUDA_VISIBLE_DEVICES=${env.CUDA_VISIBLE_DEVICES ?? '?'}: ${why}`);
}
