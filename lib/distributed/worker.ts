// `pipeline worker`: takes jobs from Redis and runs them with the local executor's code. A stage
// job is computed and committed exactly as `pipeline run` does it (lib/exec/compute-stage.ts: the
// key's lock, a last look in the cache, the run into `<key>.partial/`, the commit by rename); a
// per-item stage's chunks go back to the items queue, where any worker computes them on a thread
// pool. A worker killed mid-job loses nothing finished: BullMQ's stall detection gives the job to
// another worker, which resumes from the partial folder (finished items, training checkpoints).
import { pathToFileURL } from 'node:url';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { computeStage, type StageRequest } from '../exec/compute-stage.ts';
import { DamagedItemError, readItemFile, writeItemFile } from '../exec/item-file.ts';
import { remainingTask } from '../exec/item-batches.ts';
import type { ItemTaskResult } from '../exec/item-task.ts';
import { createProgress } from '../exec/progress.ts';
import { RunLog } from '../exec/run-log.ts';
import { GpuSlots, type GpuHold } from '../exec/gpu-slots.ts';
import { runIsolated } from '../exec/isolated.ts';
import { placeOf } from '../exec/stage-place.ts';
import { gpuProcessEnv, type GpuPlan } from '../gpu/plan.ts';
import { executeStageJob } from '../exec/stage-runner.ts';
import { libFile } from '../paths.ts';
import { Store } from '../store/store.ts';
import type { ProgressSink } from '../types.ts';
import { remoteChunks } from './chunks.ts';
import { Connections, reachRedis, type RedisTarget } from './connection.ts';
import { checkChunkJob, checkStageJob, ItemTables, shown, type CheckContext } from './job-check.ts';
import { GPU_STAGE_QUEUE, ITEM_QUEUE, STAGE_QUEUE, type ChunkJobData, type ChunkJobReturn, type StageJobData, type StageJobReturn } from './jobs.ts';
import { hostName } from '../exec/lease.ts';
import { progressSender } from './progress-relay.ts';
import type { StageRegistry } from './stage-registry.ts';

export interface WorkerOptions {
  target: RedisTarget;
  cacheRoot: string;
  /** the stages this worker runs: its own pipeline's */
  registry: StageRegistry;
  /** stage jobs and item chunks this worker computes at once (each) */
  concurrency: number;
  /** `--gpus`: one GPU job per slot (card x share) beside the CPU jobs; null or absent: no GPU jobs taken */
  gpus?: GpuPlan | null;
  log: (line: string) => void;
}

/** BullMQ's job lock: a job whose worker stops renewing it for this long is given to another (DCSP_QUEUE_LOCK_MS). */
export function jobLockMs(): number {
  const v = Number(process.env.DCSP_QUEUE_LOCK_MS);
  return Number.isFinite(v) && v >= 1000 ? v : 30_000;
}

/**
 * A job is checked whole before anything runs or is written (job-check.ts); a refusal fails the job
 * once, without retries, with one line naming the job.
 */
async function checked<T>(job: Job, me: string, check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (err) {
    throw new UnrecoverableError(`worker ${me} refuses job ${shown(job.id)}: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** Whether an item's file is there and whole (a damaged one is computed again). */
async function itemDone(file: string): Promise<boolean> {
  try {
    await readItemFile(file);
    return true;
  } catch (err) {
    if (err instanceof DamagedItemError || (err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

function tee(a: ProgressSink, b: ProgressSink): ProgressSink {
  return {
    start: (t, l) => {
      a.start(t, l);
      b.start(t, l);
    },
    tick: (n, f) => {
      a.tick(n, f);
      b.tick(n, f);
    },
    done: () => {
      a.done();
      b.done();
    },
  };
}

/** Runs until SIGINT/SIGTERM (exit 0: active jobs resume elsewhere) or a lost Redis (exit 1). */
export async function runWorker(opts: WorkerOptions): Promise<number> {
  const { target, log } = opts;
  const store = new Store(opts.cacheRoot);
  const runLog = new RunLog(store.runsDir);
  const me = `${hostName()}/${process.pid}`;
  let giveUp: (why: string) => void = () => undefined;
  const connections = new Connections(target, `worker ${me}`, log, (why) => giveUp(why));
  const items = new Queue(ITEM_QUEUE, { connection: connections.client(), prefix: target.prefix });
  await reachRedis(target, items).catch(async (err: unknown) => {
    await items.close().catch(() => undefined);
    connections.close();
    throw err;
  });
  const { default: Tinypool } = await import('tinypool');
  const pool = new Tinypool({ filename: pathToFileURL(libFile('exec/item-worker.mjs')).href, minThreads: opts.concurrency, maxThreads: opts.concurrency });

  const ctx: CheckContext = { registry: opts.registry, store };
  const tables = new ItemTables();

  const slots = opts.gpus ? new GpuSlots(store.gpusDir, opts.gpus) : null;
  const stageJob = async (job: Job<StageJobData>): Promise<StageJobReturn> => {
    const req = await checked(job, me, () => checkStageJob(job.data, ctx));
    // a GPU job comes from the GPU queue only, whose concurrency is this worker's slots: one is free
    const gpu: GpuHold | null =
      req.gpu && slots ? await slots.acquire(() => log(`worker ${me}: ${req.stage} waits for a GPU slot another process on this host holds`)) : null;
    try {
      return await computeJob(job, req, gpu);
    } finally {
      await gpu?.release();
    }
  };

  const computeJob = async (job: Job<StageJobData>, req: StageRequest, gpu: GpuHold | null): Promise<StageJobReturn> => {
    await runLog.event({ event: 'started', stage: req.stage, key: req.key, worker: me, job: job.id, attempt: job.attemptsStarted, stalls: job.stalledCounter });
    const started = new Date();
    const progress = tee(
      createProgress(req.stage),
      progressSender((r) => job.updateProgress(r as unknown as object)),
    );
    const chunks = remoteChunks(items, { stage: req.stage, key: req.key, parts: req.parts, cacheRoot: store.root }, log);
    const x = await computeStage(
      store,
      req,
      opts.concurrency,
      // a GPU job's process sees only its card; its items run on that process's threads, not on the items queue
      (sj) =>
        req.isolate || gpu
          ? runIsolated(sj, gpu ? gpuProcessEnv(gpu.device) : {})
          : executeStageJob(sj, { progress, log, signal: new AbortController().signal, chunks }),
      log,
    );
    if (x.status === 'run') {
      const resumedFrom = x.manifest.metrics.resumedFrom;
      await runLog.event({
        event: 'committed',
        stage: req.stage,
        key: req.key,
        worker: me,
        job: job.id,
        seconds: x.seconds,
        ...(typeof resumedFrom === 'number' ? { resumedFrom } : {}),
        place: placeOf(
          req.parts.numerics?.backend ?? (req.parts.onnx ? `onnxruntime-${req.parts.onnx.provider}` : 'none'),
          gpu,
          opts.gpus?.simulated ?? false,
          req.parts.numerics?.threads ?? opts.concurrency,
          started,
          x.env,
        ),
      });
    }
    return { status: x.status, seconds: x.seconds, items: x.items, worker: me, ...(gpu ? { gpu: `${gpu.device.index} (${gpu.device.name})` } : {}) };
  };

  const chunkJob = async (job: Job<ChunkJobData>): Promise<ChunkJobReturn> => {
    const { task, files } = await checked(job, me, () => checkChunkJob(job.data, ctx, tables));
    const { stage, key, ids } = job.data;
    // items a killed worker finished before it died are not computed again
    const todo = new Set<string>();
    for (let i = 0; i < ids.length; i++) if (!(await itemDone(files[i]))) todo.add(ids[i]);
    const written: string[] = [];
    if (todo.size) {
      // a batch with a member left is computed whole (its key names the batch); finished members are kept below
      const results = (await pool.run(remainingTask(task, todo))) as ItemTaskResult[];
      const fileOf = new Map(ids.map((id, i) => [id, files[i]]));
      for (const { id, result } of results) {
        // another worker may have committed it meanwhile (a retried stage re-chunked its items): keep the first
        if (await itemDone(fileOf.get(id)!)) continue;
        await writeItemFile(fileOf.get(id)!, result);
        written.push(id);
      }
      if (written.length) await runLog.event({ event: 'chunk', stage, key, worker: me, job: job.id, items: written });
    }
    return { computed: written.length, present: ids.length - written.length, worker: me };
  };

  const lockDuration = jobLockMs();
  const common = {
    prefix: target.prefix,
    concurrency: opts.concurrency,
    lockDuration,
    stalledInterval: Math.max(500, Math.floor(lockDuration / 2)),
    maxStalledCount: 3,
  };
  const gpuSlots = opts.gpus ? opts.gpus.devices.length * opts.gpus.share : 0;
  const workers = [
    new Worker<StageJobData, StageJobReturn>(STAGE_QUEUE, stageJob, { ...common, connection: connections.client() }),
    new Worker<ChunkJobData, ChunkJobReturn>(ITEM_QUEUE, chunkJob, { ...common, connection: connections.client() }),
    // GPU jobs beside the CPU ones, never in their place: a CPU job never waits for a card
    ...(gpuSlots
      ? [new Worker<StageJobData, StageJobReturn>(GPU_STAGE_QUEUE, stageJob, { ...common, concurrency: gpuSlots, connection: connections.client() })]
      : []),
  ];
  for (const w of workers) {
    w.on('failed', (job, err) => job && log(`worker: job ${shown(job.id)} failed: ${err.message.split('\n')[0]}`));
  }
  log(
    `worker ${me}: taking jobs from ${target.shown} (queue prefix ${target.prefix}), cache ${store.root}, stages of ${opts.registry.file}, concurrency ${opts.concurrency}, ${gpuSlots ? `${gpuSlots} GPU slot(s)` : 'no GPU jobs'}`,
  );

  const code = await new Promise<number>((done) => {
    giveUp = (why) => {
      log(`worker ${me}: ${why}; stopping`);
      done(1);
    };
    const stop = (sig: string): void => {
      log(`worker ${me}: ${sig}; stopping (active jobs resume on another worker)`);
      done(0);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await Promise.all(workers.map((w) => w.close(true).catch(() => undefined)));
  await items.close().catch(() => undefined);
  connections.close();
  await pool.destroy();
  return code;
}
