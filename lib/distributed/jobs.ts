// The job model. Two queues: whole stages, and chunks of a per-item stage's items. A job's id is
// its content key (stage key; stage key + the chunk's items), so two coordinators or two sweeps
// asking for the same work share one job. A job names a stage, never code: each worker takes the
// stage's module from its own pipeline (job-check.ts checks everything a job carries). Artifact
// paths travel relative to the cache: every machine may mount it elsewhere.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Job, Queue } from 'bullmq';
import type { Json } from '../store/canonical-json.ts';
import { sha256 } from '../store/hash.ts';
import type { StageRequest } from '../exec/compute-stage.ts';
import type { PerItemStats } from '../exec/per-item.ts';
import type { KeyParts } from '../contract/key.ts';
import type { Numerics } from '../tensor/numerics.ts';

export const STAGE_QUEUE = 'stages';
export const ITEM_QUEUE = 'items';
/** tensor stages of a run with GPUs: only a worker with a free GPU slot takes one (`pipeline worker --gpus`) */
export const GPU_STAGE_QUEUE = 'stages-gpu';

/** A whole stage key to compute and commit: the executor's request without its module path. */
export interface StageJobData extends Omit<StageRequest, 'module'> {
  /** the coordinator that queued it (a second one asking for the key joins this job) */
  requestedBy: string;
}

export interface StageJobReturn {
  status: 'cached' | 'run';
  seconds: number;
  items?: PerItemStats;
  worker: string;
  /** the GPU a GPU job held: `index (name)` on the worker's host */
  gpu?: string;
}

/** Some items of one per-item stage key; the worker writes each item's file into the stage's work. */
export interface ChunkJobData {
  stage: string;
  key: string;
  /** the stage key's recipe: the worker recomputes the key and each item's key from it */
  parts: KeyParts;
  params: Record<string, unknown>;
  shared: Json;
  /** slot -> committed input artifact, relative to the cache */
  inputs: Record<string, string>;
  ids: string[];
  /**
   * the length of each batch of `ids`, in order (lib/exec/item-task.ts ItemTask.batches): required
   * for a stage that batches by size, whose item keys name the batches (job-check.ts keys them so)
   */
  batches?: number[];
  /** item file of each id, relative to the cache */
  files: string[];
  /** a tensor stage's numerics: a worker whose process computes otherwise refuses the chunk (lib/exec/item-task.ts) */
  numerics?: Numerics;
}

export interface ChunkJobReturn {
  computed: number;
  /** items whose file was already there (a killed worker's finished ones) */
  present: number;
  worker: string;
}

// BullMQ reserves ':' in ids
export function stageJobId(d: Pick<StageJobData, 'stage' | 'key' | 'force'>, forceTag: string): string {
  return `${d.stage}-${d.key}${d.force ? `-force-${forceTag}` : ''}`;
}

export function chunkJobId(d: Pick<ChunkJobData, 'stage' | 'key' | 'ids'>): string {
  return `${d.stage}-${d.key}-items-${sha256(...d.ids).slice(0, 24)}`;
}

/** How long a job may stay queued without a worker before the waiter says so (once). */
const NO_WORKER_NOTICE_MS = 15_000;

/**
 * Adds a job under its content id, or joins the one already there (waiting, active, delayed). A
 * finished job under the same id is removed first, asking again means computing again, unless it
 * completed and `committed` finds its result in the cache.
 */
export async function submit<D>(
  queue: Queue,
  name: string,
  id: string,
  data: D,
  committed: () => Promise<boolean> = async () => false,
): Promise<Job | 'committed'> {
  const old = await queue.getJob(id);
  if (old) {
    const state = await old.getState();
    // finished since the caller looked: when its result is in the cache, there is nothing to do
    if (state === 'completed' && (await committed())) return 'committed';
    if (state === 'completed' || state === 'failed') await old.remove().catch(() => undefined);
  }
  // attempts: 1: a job that fails fails once; a killed worker's job comes back through stall detection
  const added = await queue.add(name, data, { jobId: id, attempts: 1, removeOnComplete: { age: 3600, count: 5000 }, removeOnFail: { age: 3600, count: 5000 } });
  // an add under an id that exists keeps the existing job but returns one built from our data:
  // read back what Redis holds (whose request it is)
  return (await queue.getJob(id)) ?? added;
}

/** `value` is null when the job vanished and its result was found committed instead */
export type Finished<R> = { ok: true; value: R | null } | { ok: false; reason: string };

/**
 * Waits for a job by polling its state (robust to a Redis restart, where event streams are not). A
 * job that vanished (Redis restarted without its data, or a later request replaced a finished one)
 * is submitted again through `resubmit`, unless its result is committed meanwhile.
 */
export async function finished<R>(
  queue: Queue,
  job: Job,
  resubmit: () => Promise<Job | 'committed'>,
  notice: (line: string) => void,
  pollMs = 300,
): Promise<Finished<R>> {
  const t0 = performance.now();
  let told = false;
  let current = job;
  for (;;) {
    let state: string;
    try {
      state = await current.getState();
    } catch {
      state = 'unreachable';
    }
    if (state === 'completed' || state === 'failed') {
      const fresh = await queue.getJob(current.id!);
      if (!fresh) continue;
      if (state === 'completed') return { ok: true, value: fresh.returnvalue as R };
      return { ok: false, reason: fresh.failedReason || 'failed without a reason' };
    }
    if (state === 'unknown') {
      const again = await resubmit();
      if (again === 'committed') return { ok: true, value: null };
      notice(`job ${current.id} was gone from Redis (restarted without its data?); queued again`);
      current = again;
      continue;
    }
    if (!told && state === 'waiting' && performance.now() - t0 > NO_WORKER_NOTICE_MS) {
      notice(
        `no worker has taken job ${current.id} for ${NO_WORKER_NOTICE_MS / 1000} s: all busy, or none on this queue (pipeline worker --redis URL --queue NAME)`,
      );
      told = true;
    }
    await sleep(pollMs);
  }
}
