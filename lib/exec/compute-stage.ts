// Computing one stage key and committing it: under the key's lock, a last look in the cache (a
// process elsewhere may have committed it meanwhile), the stage run into `<key>.partial/`, then the
// commit by rename. The local executor and a distributed worker (lib/distributed/worker.ts) both
// call this, so where a stage runs never changes what lands in the cache.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { formatDuration } from '../format.ts';
import { commitArtifact } from '../store/commit.ts';
import type { InputRef, Manifest } from '../store/manifest.ts';
import { KEY_RE, safeReaddir, type Store } from '../store/store.ts';
import type { ProgressSink } from '../types.ts';
import type { KeyParts } from '../contract/key.ts';
import { stageLogDir, TENSORBOARD_DIR } from '../watch/events-dir.ts';
import { isNondeterministic } from '../contract/numerics.ts';
import { acquireLock } from './lock.ts';
import type { PerItemStats } from './per-item.ts';
import type { SeenEnv } from './stage-place.ts';
import { outDirOf, type StageJob, type StageJobResult } from './stage-runner.ts';

/** One stage key to compute: everything but the machine it runs on. */
export interface StageRequest {
  stage: string;
  key: string;
  version: number;
  /** absolute path of the stage module */
  module: string;
  params: Record<string, unknown>;
  parts: KeyParts;
  /** slot -> the committed input */
  inputs: Record<string, InputRef>;
  /** recompute even when committed, and every item afresh */
  force: boolean;
  /** run the body in a child process (lib/exec/isolated.ts); not part of the key */
  isolate: boolean;
  /** the run's name for its TensorBoard logs (lib/watch/events-dir.ts): a run fact, not part of the key */
  runName?: string;
  /** a tensor stage of a run with GPUs: a worker computes it in a GPU slot (lib/distributed); not part of the key */
  gpu?: boolean;
}

/** Where a computation's curves go: under `tensorboard` (default cache/tensorboard); null: not written. */
export interface RunFactsOptions {
  tensorboard?: string | null;
}

export interface StageExecution {
  status: 'cached' | 'run';
  manifest: Manifest;
  seconds: number;
  items?: PerItemStats;
  /** the GPU variables the computing process saw (stage-place.ts) */
  env?: SeenEnv;
}

/** Where the stage body runs: in this process, a child process, or a worker thread pool behind it. */
export type StageBody = (job: StageJob) => Promise<StageJobResult>;

export async function computeStage(
  store: Store,
  req: StageRequest,
  workers: number,
  body: StageBody,
  log: (line: string) => void,
  facts: RunFactsOptions = {},
): Promise<StageExecution> {
  const t0 = performance.now();
  const { stage: name, key } = req;
  await mkdir(store.stageDir(name), { recursive: true });
  const lock = await acquireLock(store.lockPath(name, key), (owner) =>
    log(`${name}: waiting for pid ${owner.pid} on ${owner.host}, which is computing this key`),
  );
  try {
    if (!req.force) {
      const hit = await store.lookup(name, key);
      if (hit) return { status: 'cached', manifest: hit, seconds: (performance.now() - t0) / 1000 };
    }
    log(`${name}: running (key ${key.slice(0, 12)})`);
    const job: StageJob = {
      stage: name,
      module: req.module,
      params: req.params,
      inputs: Object.fromEntries(Object.entries(req.inputs).map(([slot, ref]) => [slot, store.artifactDir(ref.stage, ref.key)])),
      partialDir: store.partialDir(name, key),
      keyParts: { ...req.parts },
      // a forced run recomputes every item instead of reusing earlier artifacts' items
      previous: req.force ? [] : (await safeReaddir(store.stageDir(name))).filter((e) => KEY_RE.test(e)).map((e) => join(store.stageDir(name), e)),
      workers,
      dataDir: store.dataDir,
      ...(req.runName !== undefined && facts.tensorboard !== null
        ? { eventsDir: stageLogDir(facts.tensorboard ?? join(store.root, TENSORBOARD_DIR), req.runName, name) }
        : {}),
    };
    if (req.force) await rm(job.partialDir, { recursive: true, force: true });
    const result = await body(job);
    const seconds = (performance.now() - t0) / 1000;
    const manifest = await commitArtifact(outDirOf(job.partialDir), store.artifactDir(name, key), {
      stage: name,
      key,
      version: req.version,
      codeHash: req.parts.codeHash,
      params: req.parts.params,
      ...(req.parts.numerics ? { numerics: req.parts.numerics } : {}),
      ...(req.parts.onnx ? { onnx: req.parts.onnx } : {}),
      // computed with the opt-out: recomputing this key may give other bytes, so no equality with it is claimed
      ...(isNondeterministic(req.parts.numerics) ? { nondeterministic: true as const } : {}),
      inputs: req.inputs,
      created: new Date().toISOString(),
      seconds,
      metrics: result.metrics,
    });
    await rm(job.partialDir, { recursive: true, force: true });
    const items = result.items ? `, ${result.items.computed}/${result.items.items} items computed${itemRate(result.items.computed, seconds)}` : '';
    log(`${name}: done in ${formatDuration(seconds)}${items}`);
    return { status: 'run', manifest, seconds, items: result.items, ...(result.env ? { env: result.env } : {}) };
  } finally {
    await lock.release();
  }
}

/** Items per second of wall time (the whole stage's, set-up included), when any were computed. */
function itemRate(computed: number, seconds: number): string {
  return computed > 0 && seconds > 0 ? ` (${(computed / seconds).toFixed(1)}/s)` : '';
}

/** The seam for other engines (lib/distributed/coordinator.ts): stage keys computed elsewhere. */
export interface RemoteStages {
  compute(req: StageRequest, io: { log(line: string): void; progress: ProgressSink }): Promise<StageExecution>;
}
