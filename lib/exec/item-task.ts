// Computes a chunk of items of one stage. Runs inside a tinypool worker thread (through
// item-worker.mjs) or in-process; either way the same code path, so results cannot differ. A
// chunk of a stage that batches by size (lib/exec/item-batches.ts) names its batches, and each is
// one `computeBatch` call, which the per-image works run as one forward pass per scale: the batch
// an item's key names is the one it is computed in, on whatever engine runs the chunk.
import { pathToFileURL } from 'node:url';
import { Artifact } from '../store/artifact.ts';
import type { Json } from '../store/canonical-json.ts';
import type { ItemEnv, ItemResult, StageDefinition } from '../contract/stage.ts';
import { ensureTypeScript } from '../contract/typescript.ts';
import { computesWith, describeNumerics, type Numerics } from '../tensor/numerics.ts';
import { useOnnxProvider, type OnnxProvider } from '../tensor/onnx-provider.ts';
import { consecutive } from './item-batches.ts';
import { loadItemWork, type AnyItemWork } from './stage-work.ts';

export interface ItemTask {
  module: string;
  params: Record<string, unknown>;
  shared: Json;
  /** slot -> committed artifact directory */
  inputs: Record<string, string>;
  ids: string[];
  /**
   * The length of each batch, in order, summing to ids.length: one `computeBatch` call each (a
   * stage that batches by size, whose item keys name these batches). Absent: the whole chunk in one
   * call, for a stage whose batches change no byte (the contract of a plain `computeBatch`).
   */
  batches?: number[];
  /** a tensor stage's numerics (from its key): the process computing the items must be set up for them */
  numerics?: Numerics;
  /** an onnx stage keyed for onnxruntime's CUDA provider (absent: the CPU provider) */
  onnxProvider?: OnnxProvider;
}

export interface ItemTaskResult {
  id: string;
  result: ItemResult;
}

// per thread: the environment (inputs opened, setup() done) for the stage+params being computed
let current: { signature: string; work: AnyItemWork; env: ItemEnv<Record<string, unknown>, Json, unknown> } | null = null;

async function envFor(task: ItemTask): Promise<NonNullable<typeof current>> {
  const signature = JSON.stringify([task.module, task.params, task.shared, task.inputs, task.onnxProvider ?? 'cpu']);
  if (current?.signature === signature) return current;
  await ensureTypeScript();
  const def = ((await import(pathToFileURL(task.module).href)) as { default: StageDefinition }).default;
  const work = await loadItemWork(def);
  const inputs: Record<string, Artifact> = {};
  for (const [slot, dir] of Object.entries(task.inputs)) inputs[slot] = await Artifact.open(dir);
  const base = { params: task.params, shared: task.shared, inputs };
  const state = work.setup ? await work.setup(base) : undefined;
  current = { signature, work, env: { ...base, state } };
  return current;
}

export async function runItemTask(task: ItemTask): Promise<ItemTaskResult[]> {
  // an item computed by a process set up otherwise would land under the key with other bytes
  if (task.numerics && !computesWith(task.numerics)) {
    throw new Error(`this process is not set up to compute with ${describeNumerics(task.numerics)}, which the stage's key names`);
  }
  // before the detector's session is created (envFor's setup): the provider the key names
  useOnnxProvider(task.onnxProvider ?? 'cpu');
  const { work, env } = await envFor(task);
  if (work.computeBatch) {
    const out: ItemTaskResult[] = [];
    for (const batch of consecutive(batchLengths(task))) {
      const ids = batch.map((i) => task.ids[i]);
      let results: ItemResult[];
      try {
        results = await work.computeBatch(ids, env);
      } catch (err) {
        const e = err as Error;
        throw new Error(`items ${ids.join(', ')}: ${e.message}`, { cause: e });
      }
      if (results.length !== ids.length) throw new Error(`items ${ids.join(', ')}: computeBatch gave ${results.length} results for ${ids.length} items`);
      for (let i = 0; i < ids.length; i++) out.push({ id: ids[i], result: results[i] });
    }
    return out;
  }
  const out: ItemTaskResult[] = [];
  for (const id of task.ids) {
    try {
      out.push({ id, result: await work.compute(id, env) });
    } catch (err) {
      const e = err as Error;
      throw new Error(`item ${id}: ${e.message}`, { cause: e });
    }
  }
  return out;
}

/** The task's batch lengths, checked to cover its ids exactly. */
function batchLengths(task: ItemTask): number[] {
  if (task.batches === undefined) return [task.ids.length];
  const sum = task.batches.reduce((a, n) => a + n, 0);
  if (task.batches.some((n) => !Number.isInteger(n) || n < 1) || sum !== task.ids.length)
    throw new Error(`items ${task.ids.join(', ')}: batches of ${task.batches.join('+')} do not cover the ${task.ids.length} items`);
  return task.batches;
}

export default runItemTask;
