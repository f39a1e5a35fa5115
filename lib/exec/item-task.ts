// Computes a batch of items of one stage. Runs inside a tinypool worker thread (through
// item-worker.mjs) or in-process; either way the same code path, so results cannot differ.
import { pathToFileURL } from 'node:url';
import { Artifact } from '../store/artifact.ts';
import type { Json } from '../store/canonical-json.ts';
import type { ItemEnv, ItemResult, StageDefinition } from '../contract/stage.ts';
import { ensureTypeScript } from '../contract/typescript.ts';
import { computesWith, describeNumerics, type Numerics } from '../tensor/numerics.ts';
import { useOnnxProvider, type OnnxProvider } from '../tensor/onnx-provider.ts';
import { loadItemWork, type AnyItemWork } from './stage-work.ts';

export interface ItemTask {
  module: string;
  params: Record<string, unknown>;
  shared: Json;
  /** slot -> committed artifact directory */
  inputs: Record<string, string>;
  ids: string[];
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
    let results: ItemResult[];
    try {
      results = await work.computeBatch(task.ids, env);
    } catch (err) {
      const e = err as Error;
      throw new Error(`items ${task.ids.join(', ')}: ${e.message}`, { cause: e });
    }
    if (results.length !== task.ids.length)
      throw new Error(`items ${task.ids.join(', ')}: computeBatch gave ${results.length} results for ${task.ids.length} items`);
    return task.ids.map((id, i) => ({ id, result: results[i] }));
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

export default runItemTask;
