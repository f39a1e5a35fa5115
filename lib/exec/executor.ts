// The executor: demand-driven over the stage graph. A stage's key is known once its inputs are
// committed; a committed key is a hit (early cutoff falls out: identical input bytes, identical
// key). Misses run under a per-key lock, in-process or in a child process, into `<key>.partial/`,
// and are committed by rename (compute-stage.ts); with `remote`, another engine computes them.
// Independent stages run side by side (`jobs` at a time): a branch waits only for its own inputs,
// and a failed stage stops only the stages that need it.
import { availableParallelism } from 'node:os';
import { rename } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Pipeline, ResolvedStage } from '../dag/load.ts';
import { InputError, isInputError, StageFailedError } from '../errors.ts';
import type { Manifest } from '../store/manifest.ts';
import type { Store } from '../store/store.ts';
import { checkContent } from '../store/verify.ts';
import type { ProgressSink } from '../types.ts';
import { keyPartsOf, stageKey } from '../contract/key.ts';
import { gpuProcessEnv, gpusSimulated } from '../gpu/plan.ts';
import type { GpuSlots } from './gpu-slots.ts';
import { runIsolated } from './isolated.ts';
import { computesOn, holdsGpu, placeOf, type StagePlace } from './stage-place.ts';
import { createProgress, writeLine } from './progress.ts';
import { RunLog } from './run-log.ts';
import { failureLine } from './stage-failure.ts';
import { keyInputs } from '../contract/key-inputs.ts';
import { StageNotImplementedError } from '../contract/stage.ts';
import { computeStage, type RemoteStages, type StageBody, type StageExecution, type StageRequest } from './compute-stage.ts';
import { executeStageJob, type StageJob, type StageJobResult } from './stage-runner.ts';
import { ShardHolds } from './shard-holds.ts';
import { runLogName } from '../watch/events-dir.ts';

export interface RunOptions {
  until?: string;
  force?: string[];
  isolate?: boolean;
  workers?: number;
  /** stages computed at the same time (default: the number of cores); 1 runs them one by one */
  jobs?: number;
  log?: (line: string) => void;
  progress?: (stage: string) => ProgressSink;
  /** computes stage keys elsewhere (`--executor bullmq`); default: this machine */
  remote?: RemoteStages;
  /** the folder for TensorBoard logs (default cache/tensorboard); null: none written */
  tensorboard?: string | null;
  /**
   * this machine's GPU slots: each tensor stage holds one while it computes, in a child process that
   * sees only that card; a per-item one also takes every other card free then, for shares of its items
   */
  gpus?: GpuSlots;
  /** with `remote`: tensor stages are GPU jobs, taken only by workers with a free GPU slot */
  gpuJobs?: boolean;
}

export interface StageOutcome {
  stage: string;
  key: string;
  status: 'cached' | 'run';
  seconds: number;
  manifest: Manifest;
  /** where it was computed (status 'run' on this machine) */
  place?: StagePlace;
}

export interface StageFailure {
  stage: string;
  error: string;
  input?: true;
}

export interface RunSummary {
  /** in the pipeline's stage order */
  outcomes: StageOutcome[];
  /** the first stage that failed (in stage order); `input` when it failed on bad input data (exit 2) */
  failed?: StageFailure;
  /** every stage that failed; stages that only needed a failed one are not run and not listed */
  failures?: StageFailure[];
}

/** A counting semaphore: at most `n` holders at once, served in arrival order. */
function slots(n: number): () => Promise<() => void> {
  let free = Math.max(1, n);
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else free++;
  };
  return async () => {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    return release;
  };
}

/** An input's failure, carried to the stages downstream of it without being reported again. */
class UpstreamFailed extends Error {}

export async function runPipeline(p: Pipeline, store: Store, opts: RunOptions = {}): Promise<RunSummary> {
  const log = opts.log ?? ((l: string) => writeLine(l));
  const progressFor = opts.progress ?? ((stage: string) => createProgress(stage));
  const force = new Set(opts.force ?? []);
  const cores = availableParallelism();
  // Cores the stages computing right now hold. A training on a native backend holds the threads
  // its key fixes (its bytes depend on them, so it gets them however busy the machine is: the
  // machine is oversubscribed rather than the result changed); any other stage holds one. A
  // per-item stage that starts beside others takes the cores they leave for its worker threads,
  // which changes how fast its items go, never what they are.
  let busy = 0;
  const runLog = new RunLog(store.runsDir);
  const selected = opts.until ? [...p.ancestors(opts.until), opts.until] : p.order;
  const memo = new Map<string, Promise<StageOutcome>>();
  const outcomes: StageOutcome[] = [];
  const acquireSlot = slots(opts.jobs ?? cores);
  const runName = runLogName(
    p.profile,
    p.overrides.map((o) => o.raw),
  );

  const checked = new Map<string, Promise<boolean>>();
  const repairs = new Map<string, Promise<StageOutcome>>();
  const intact = (stage: string, key: string): Promise<boolean> => {
    const dir = store.artifactDir(stage, key);
    let c = checked.get(dir);
    if (!c) {
      c = usable(stage, dir);
      checked.set(dir, c);
    }
    return c;
  };

  const ensure = (name: string): Promise<StageOutcome> => {
    let m = memo.get(name);
    if (!m) {
      m = build(name);
      memo.set(name, m);
    }
    return m;
  };

  const build = async (name: string, attempt = 0): Promise<StageOutcome> => {
    const s = p.stages.get(name)!;
    const inputs: Record<string, Manifest> = {};
    const ups = Object.entries(s.inputs);
    const done = await Promise.allSettled(ups.map(([, up]) => ensure(up)));
    done.forEach((d, i) => {
      if (d.status === 'fulfilled') inputs[ups[i][0]] = d.value.manifest;
    });
    if (done.some((d) => d.status === 'rejected')) throw new UpstreamFailed(name);
    const t0 = performance.now();
    const parts = keyPartsOf(p, s, await keyInputs(store.root, s, inputs));
    const key = stageKey(parts);
    if (!force.has(name)) {
      const hit = await store.lookup(name, key);
      if (hit) return record({ stage: name, key, status: 'cached', seconds: (performance.now() - t0) / 1000, manifest: hit });
    }
    if (!s.implemented) throw new StageNotImplementedError(name);
    // inputs are about to be read: every file is re-hashed (once per run), and a damaged input is a
    // miss of that input, recomputed, never something a result is built on. Artifacts nobody reads
    // in this run are not touched; `verify` re-hashes everything.
    let recomputed = false;
    for (const [slot, up] of Object.entries(s.inputs)) {
      if (await intact(up, inputs[slot].key)) continue;
      const dir = store.artifactDir(up, inputs[slot].key);
      if (attempt > 0) throw new StageFailedError(name, `input ${up} (${dir}) is damaged again right after it was recomputed; is the disk failing?`);
      // stages sharing the damaged input wait for one recomputation of it
      let repair = repairs.get(dir);
      if (!repair) {
        checked.delete(dir);
        memo.delete(up);
        repair = ensure(up);
        repairs.set(dir, repair);
      }
      await repair;
      recomputed = true;
    }
    // a recomputed input may differ in content (training is not bit-reproducible across machines): key again
    if (recomputed) return build(name, attempt + 1);
    // a tensor stage, or an onnx one on CUDA, holds a card when the command has GPUs
    const onGpu = holdsGpu(s, p.numerics, opts.gpus?.plan.simulated ?? gpusSimulated());
    const request: StageRequest = {
      stage: name,
      key,
      version: s.version,
      module: s.module,
      params: s.params,
      parts,
      inputs: Object.fromEntries(Object.entries(inputs).map(([slot, m]) => [slot, { stage: m.stage, key: m.key, contentHash: m.contentHash }])),
      force: force.has(name),
      // a GPU is held by a process that sees only that card: worker threads of this process cannot be placed on one
      isolate: Boolean(opts.isolate || s.isolate || (onGpu && opts.gpus)),
      runName,
      ...(opts.gpuJobs && onGpu ? { gpu: true } : {}),
    };
    const outcome = (x: StageExecution, place?: StagePlace): Promise<StageOutcome> =>
      record({ stage: name, key, status: x.status, seconds: x.seconds, manifest: x.manifest, ...(place && x.status === 'run' ? { place } : {}) });
    const fail = (err: unknown): never => {
      if (err instanceof StageNotImplementedError || err instanceof StageFailedError) throw err;
      // bad data found while running (a folder dataset's tags or masks) is the user's input: exit 2
      if (isInputError(err)) throw new InputError(`stage ${name}: ${failureLine(err)}`);
      throw new StageFailedError(name, failureLine(err, store.partialDir(name, key)));
    };
    // another engine runs it (lib/distributed): no local slot, lock or cores are taken here
    if (opts.remote) return outcome(await opts.remote.compute(request, { log, progress: progressFor(name) }).catch(fail));
    // the GPU first: a stage waiting for a card holds no job slot, so CPU-only stages go on beside
    const gpu = onGpu && opts.gpus ? await opts.gpus.acquire(() => log(`${name}: waiting for a free GPU slot`)) : null;
    try {
      const releaseSlot = await acquireSlot();
      const holds = !s.perItem && parts.numerics?.threads !== undefined ? parts.numerics.threads : 1;
      busy += holds;
      // let stages that became ready at the same moment (siblings of one input) count themselves first
      await new Promise((resolve) => setImmediate(resolve));
      try {
        const started = new Date();
        const workers = opts.workers ?? Math.max(1, cores - (busy - holds));
        const env = gpu ? gpuProcessEnv(gpu.device) : {};
        const spread: { holds: ShardHolds | null } = { holds: null };
        const isolated = async (job: StageJob): Promise<StageJobResult> => {
          // a per-item stage on a GPU also takes every other card free right now, for shares of its
          // items (gpu-shards.ts); each is let go as its share ends
          if (!gpu || !opts.gpus || !s.perItem) return runIsolated(job, env);
          const holds = await ShardHolds.take(opts.gpus, gpu);
          if (!holds.count) return runIsolated(job, env);
          spread.holds = holds;
          log(
            `${name}: items still to compute are shared with GPU ${holds
              .slots()
              .map((x) => x.gpu)
              .join(', ')} (a process each)`,
          );
          try {
            return await runIsolated({ ...job, shards: holds.slots() }, env, (m) => holds.onMessage(m));
          } finally {
            await holds.releaseAll();
          }
        };
        const body: StageBody = (job) =>
          (request.isolate ? isolated(job) : executeStageJob(job, { progress: progressFor(name), log, signal: new AbortController().signal })).catch(fail);
        const x = await computeStage(store, request, workers, body, log, { tensorboard: opts.tensorboard });
        const threads = s.perItem ? workers : (parts.numerics?.threads ?? 1);
        const place = placeOf(computesOn(s, p.numerics), gpu, opts.gpus?.plan.simulated ?? false, threads, started, x.env, spread.holds?.places());
        // awaited here, not returned as a promise: the finally blocks below would otherwise free the
        // GPU before the run line is written, and that line's time is when the stage let the card go
        // (an extra card's end is in the place, taken before it was let go: shard-holds.ts)
        return await outcome(x, place);
      } finally {
        busy -= holds;
        releaseSlot();
      }
    } finally {
      await gpu?.release();
    }
  };

  const record = async (o: StageOutcome): Promise<StageOutcome> => {
    // a damaged input found before use is recorded again when recomputed: keep the last word
    const earlier = outcomes.findIndex((x) => x.stage === o.stage);
    if (earlier >= 0) outcomes.splice(earlier, 1);
    outcomes.push(o);
    await store.writeRef(p.variant, o.stage, o.key);
    await runLog.append({ variant: p.variant, stage: o.stage, key: o.key, status: o.status, seconds: o.seconds, ...(o.place ? { place: o.place } : {}) });
    return o;
  };

  const names = p.order.filter((s) => selected.includes(s));
  // remote stages wait on workers, not on this machine's cores
  const jobs = opts.jobs ?? (opts.remote ? Infinity : cores);
  let settled: PromiseSettledResult<StageOutcome>[];
  if (jobs > 1) settled = await Promise.allSettled(names.map((name) => ensure(name)));
  else {
    // one at a time, in the pipeline's order (stages side by side would race for the one slot)
    settled = [];
    for (const name of names) settled.push((await Promise.allSettled([ensure(name)]))[0]);
  }
  const failures: StageFailure[] = [];
  for (let i = 0; i < names.length; i++) {
    const r = settled[i];
    if (r.status === 'fulfilled' || r.reason instanceof UpstreamFailed) continue;
    const e = r.reason as Error;
    const stage = failedStage(e, names[i]);
    if (failures.some((f) => f.stage === stage)) continue;
    failures.push({ stage, error: e.message, ...(isInputError(e) ? { input: true as const } : {}) });
    await runLog.append({ variant: p.variant, stage, key: null, status: 'failed', seconds: 0, error: e.message });
  }
  const rank = new Map(p.order.map((n, i) => [n, i]));
  outcomes.sort((a, b) => rank.get(a.stage)! - rank.get(b.stage)!);
  return failures.length ? { outcomes, failed: failures[0], failures } : { outcomes };
}

function failedStage(e: Error, fallback: string): string {
  if (e instanceof StageNotImplementedError || e instanceof StageFailedError) return e.stage;
  return fallback;
}

/** The full content check of an input before use; a failing artifact is moved aside so it misses. */
async function usable(stage: string, dir: string): Promise<boolean> {
  const { problems } = await checkContent(dir);
  if (!problems.length) return true;
  process.stderr.write(`${stage}: cached artifact ${basename(dir).slice(0, 12)} is damaged (${problems.slice(0, 3).join('; ')}); recomputing\n`);
  await rename(dir, `${dir}.corrupt-${Date.now()}`).catch(() => undefined);
  return false;
}

export type { ResolvedStage };
