// Runs one stage into its partial directory: the same function in-process and in an isolated
// child process. It does not commit: the executor does that after it returns.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Artifact } from '../store/artifact.ts';
import { ArtifactWriter } from '../store/artifact-writer.ts';
import type { Json } from '../store/canonical-json.ts';
import type { ProgressSink } from '../types.ts';
import type { KeyParts } from '../contract/key.ts';
import { ensureTypeScript } from '../contract/typescript.ts';
import { useNumerics } from '../tensor/numerics.ts';
import { useOnnxProvider } from '../tensor/onnx-provider.ts';
import type { ShardSlot } from './gpu-shards.ts';
import type { ChunkRunner } from './item-scheduler.ts';
import { runPerItem, type PerItemStats } from './per-item.ts';
import { seenEnv, type SeenEnv } from './stage-place.ts';
import { loadItemWork, loadRunWork } from './stage-work.ts';
import { StageNotImplementedError, type StageContext, type StageDefinition } from '../contract/stage.ts';
import { EventLog } from '../watch/event-log.ts';
import { recordingProgress } from '../watch/progress-file.ts';
import { logStageMetrics } from '../watch/stage-metrics.ts';

export interface StageJob {
  stage: string;
  module: string;
  params: Record<string, unknown>;
  /** slot -> committed input artifact directory */
  inputs: Record<string, string>;
  partialDir: string;
  keyParts: KeyParts;
  previous: string[];
  workers: number;
  dataDir: string;
  /** the stage's TensorBoard log folder (run facts, outside the partial folder); absent: no logs */
  eventsDir?: string;
  /** extra GPUs held for a per-item stage's items, a process each (gpu-shards.ts); absent: its own card only */
  shards?: ShardSlot[];
}

export interface StageJobResult {
  metrics: Record<string, Json>;
  items?: PerItemStats;
  /** the GPU variables the process that computed it saw (a run fact: stage-place.ts) */
  env?: SeenEnv;
}

export function outDirOf(partialDir: string): string {
  return join(partialDir, 'out');
}

export async function executeStageJob(
  job: StageJob,
  io: { progress: ProgressSink; log(line: string): void; signal: AbortSignal; chunks?: ChunkRunner },
): Promise<StageJobResult> {
  // before the stage's code can start TensorFlow: the threads and kernels its key names, on the
  // backend and TensorFlow build it names (or a clear refusal)
  if (job.keyParts.numerics) useNumerics(job.keyParts.numerics);
  useOnnxProvider(job.keyParts.onnx?.provider ?? 'cpu');
  await ensureTypeScript();
  const def = ((await import(pathToFileURL(job.module).href)) as { default: StageDefinition }).default;
  if (def.implemented === false) throw new StageNotImplementedError(job.stage);
  const outDir = outDirOf(job.partialDir);
  const workDir = join(job.partialDir, 'work');
  // outputs are always rebuilt from scratch; work/ (checkpoints, finished items) is what resumes
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await mkdir(workDir, { recursive: true });
  const inputs: Record<string, Artifact> = {};
  for (const [slot, dir] of Object.entries(job.inputs)) inputs[slot] = await Artifact.open(dir);
  const out = new ArtifactWriter(outDir);
  // run facts, written by this process and handed to the stage through its context, so the
  // writers stay outside the stage's code identity: progress for `pipeline status` (beside out/),
  // curves for TensorBoard (outside the partial folder altogether)
  const scalars = job.eventsDir ? new EventLog(job.eventsDir, job.stage, io.log) : undefined;
  const ctx: StageContext<Record<string, unknown>> = {
    stage: job.stage,
    params: job.params,
    inputs,
    out,
    workDir,
    dataDir: job.dataDir,
    progress: recordingProgress(io.progress, job.partialDir, job.stage),
    log: io.log,
    signal: io.signal,
    scalars,
  };
  try {
    let result: StageJobResult;
    if (def.perItem) {
      const work = await loadItemWork(def);
      const { metrics, stats } = await runPerItem({
        def,
        work,
        module: job.module,
        ctx,
        keyParts: job.keyParts,
        previous: job.previous,
        workers: job.workers,
        chunks: io.chunks,
      });
      const extra = work.run ? await work.run(ctx) : undefined;
      result = { metrics: { ...out.collectedMetrics, ...metrics, ...(extra ?? {}) }, items: stats };
    } else {
      const metrics = await (await loadRunWork(def)).run(ctx);
      result = { metrics: { ...out.collectedMetrics, ...(metrics ?? {}) } };
    }
    if (scalars) logStageMetrics(scalars, job.stage, result.metrics);
    return { ...result, env: seenEnv() };
  } finally {
    scalars?.close();
  }
}
