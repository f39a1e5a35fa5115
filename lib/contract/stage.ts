// @dcsp-code-hash: none (types and an identity function: editing this file changes no result)
// The stage contract. A stage is declared in one module, stages/<stage>.ts, that default-exports
// `defineStage({...})`: its name, params (with their defaults), inputs, refusals and, for a
// per-item stage, its item list. It names its work module by `work: new URL(...)` and never imports
// it, so a declaration stays light (the executor imports every declaration to read its params
// schema; tfjs, sharp, ... load only when a stage runs). The work module (lib/work/<stage>.ts)
// exports `work`, typed `RunWork<P>` or `ItemWork<P, S, T>`; the executor loads it (lib/exec/stage-work.ts).
// The executor owns hashing, locking, progress, resume and file locations.
import type { z } from 'zod';
import type { Artifact } from '../store/artifact.ts';
import type { ArtifactWriter, ItemArray } from '../store/artifact-writer.ts';
import type { Json } from '../store/canonical-json.ts';
import type { ProgressSink } from '../types.ts';
import type { ScalarSink } from '../scalar-sink.ts';

export type ParamsSchema = z.ZodType<Record<string, unknown>>;

export interface StageContext<P> {
  stage: string;
  params: P;
  /** input artifacts by slot name */
  inputs: Record<string, Artifact>;
  /** the output being built (visible only after commit) */
  out: ArtifactWriter;
  /** scratch space that survives a crash of this key's run (checkpoints, partial state) */
  workDir: string;
  /** shared across stages and runs (downloads, extracted datasets): cache/data */
  dataDir: string;
  progress: ProgressSink;
  log(line: string): void;
  signal: AbortSignal;
  /** curves for TensorBoard and the scalars file (run facts, never artifact content); absent: not logged */
  scalars?: ScalarSink;
}

export interface ItemResult {
  arrays: Record<string, ItemArray>;
  /** per-item numbers, reduced by `summarize` into the stage metrics */
  metrics?: Record<string, Json>;
}

/** What a worker has before `setup`: the stage's params, shared context and input artifacts. */
export interface ItemSetupEnv<P, S> {
  params: P;
  shared: S;
  inputs: Record<string, Artifact>;
}

/** What one item's computation sees, in a worker thread or in-process. */
export interface ItemEnv<P, S, T> extends ItemSetupEnv<P, S> {
  /** per-worker state made once by `setup` (a loaded model, a detector) */
  state: T;
}

/** The light half of a per-item stage, in its declaration: its items and how they are batched. */
export interface PerItemPlan<P> {
  /** the items this stage computes, in artifact order */
  ids(ctx: StageContext<P>): string[] | Promise<string[]>;
  /** items per worker task (default 8) */
  chunkSize?: number;
  /**
   * The order in which the items still to compute are cut into chunks (default: as given), so that
   * items a work's `computeBatch` can batch together share a chunk (images of one size). Returns
   * the same ids, reordered. The artifact keeps `ids` order and no key depends on the chunks.
   */
  order?(ctx: StageContext<P>, ids: readonly string[]): string[] | Promise<string[]>;
}

/** The work of a whole-stage stage: what its work module exports as `work`. */
export interface RunWork<P> {
  // biome-ignore lint/suspicious/noConfusingVoidType: a run with no return statement is Promise<void>, which `undefined` would refuse
  run(ctx: StageContext<P>): Promise<Record<string, Json> | void>;
}

/** The work of a per-item stage: what its work module exports as `work`. */
export interface ItemWork<P, S extends Json = Json, T = undefined> {
  /**
   * Anything an item's computation reads beyond its own inputs (a dataset mean colour, ...). It is
   * hashed into every item key, so items are reused only when it is unchanged.
   */
  shared?(ctx: StageContext<P>): S | Promise<S>;
  setup?(env: ItemSetupEnv<P, S>): T | Promise<T>;
  compute(id: string, env: ItemEnv<P, S, T>): ItemResult | Promise<ItemResult>;
  /**
   * The items of one chunk at once, one result per id in the same order, when that is faster than
   * `compute` one by one (a network's forward pass over equal-size images as one batch). The item
   * runner calls it instead of `compute` when it is set, so each result must be what `compute`
   * gives for that id: an item's key does not say which chunk it was computed in.
   */
  computeBatch?(ids: readonly string[], env: ItemEnv<P, S, T>): Promise<ItemResult[]>;
  /**
   * Reduce per-item metrics (in id order) into stage metrics; may also write extra outputs. `read`
   * gives back any item's arrays, for measures that need whole maps (kept out of per-item JSON).
   */
  summarize?(
    ctx: StageContext<P>,
    metrics: (Record<string, Json> | null)[],
    ids: string[],
    read: (index: number) => Promise<ItemResult>,
  ): Record<string, Json> | Promise<Record<string, Json>>;
  /** after the items (attention's val mAP); its metrics join theirs */
  // biome-ignore lint/suspicious/noConfusingVoidType: a run with no return statement is Promise<void>, which `undefined` would refuse
  run?(ctx: StageContext<P>): Promise<Record<string, Json> | void>;
}

export interface StageDefinition<P = Record<string, unknown>> {
  name: string;
  /** bump when the meaning of the output changes without a code change the hash would see */
  version: number;
  description: string;
  params: z.ZodType<P>;
  /** input slot names; pipeline.yaml maps each slot to an upstream stage */
  inputs: readonly string[];
  /** slots that may be left unmapped */
  optionalInputs?: readonly string[];
  /**
   * The optional slots these params read (default: all that are mapped). A mapped slot left out is
   * not an input of this stage for the run: not in its key, and its upstream stage, if marked
   * `on_demand`, does not run for it.
   */
  inputsUsed?(params: P): readonly string[];
  /**
   * Plan-time refusal of params that cannot be what a user meant (a network trained on a random
   * trunk, a detector without weights). `upstream(slot)` gives the stage mapped to an input slot
   * and its resolved params. Returns the offending param key and why, or null.
   */
  refuse?(params: P, upstream: (slot: string) => UpstreamStage | undefined): Refusal | null;
  /** false: declared in the DAG, but running it stops with "not implemented yet" */
  implemented?: boolean;
  /** run in a child process by default (tensor-heavy stages) */
  isolate?: boolean;
  /**
   * The stage reads more than its inputs' content: their manifests and the artifacts upstream of
   * them (the report shows every stage's key and params and the training curves). Its key then
   * covers that whole lineage by stage, key and content hash (lib/store/lineage.ts), so it re-runs
   * when anything upstream is re-keyed, even with the same bytes (no early cutoff into it).
   */
  readsLineage?: boolean;
  /**
   * The stage computes with tfjs tensors, so its bytes depend on the backend and TensorFlow's
   * settings, which then join its key (lib/contract/numerics.ts). A function when it depends on the
   * params (a saliency detector may be a network or not) or on an input's stage (an erase pass
   * runs the detector of the pass before it): `upstream(slot)` gives that stage, resolved.
   */
  tensors?: boolean | ((params: P, upstream: (slot: string) => (UpstreamStage & { tensors: boolean }) | undefined) => boolean);
  /**
   * The stage runs onnxruntime sessions (an onnx saliency detector): on a run that computes on
   * GPUs with onnxruntime's CUDA provider installed it holds a GPU slot, and its key names the
   * provider (lib/tensor/onnx-provider.ts). A function as for `tensors`.
   */
  onnx?: boolean | ((params: P, upstream: (slot: string) => (UpstreamStage & { onnx: boolean }) | undefined) => boolean);
  /**
   * Params that only stop a run (a check that refuses to commit a result) and never change the
   * bytes of a result they let through: they are left out of the key (lib/contract/key.ts).
   */
  guards?: readonly string[];
  /**
   * The stage's work module, named and never imported (so declaring a stage loads nothing heavy):
   * a `new URL` of lib/work/<stage>.ts relative to `import.meta.url`. It exports `work`: a `RunWork<P>`, or an
   * `ItemWork<P, S, T>` when `perItem` is set. The code hash follows the reference.
   */
  work?: URL;
  /** a per-item stage: its items (the computation is the work module's) */
  perItem?: PerItemPlan<P>;
}

export interface UpstreamStage {
  stage: string;
  params: Record<string, unknown>;
}

export interface Refusal {
  /** the param, dotted below the stage: 'init', 'voc.sbdGroundTruth' */
  key: string;
  message: string;
  /** the refusal is about another stage's param (an input's), named by that stage */
  stage?: string;
}

export function defineStage<P>(def: StageDefinition<P>): StageDefinition<P> {
  if (!def.work && def.implemented !== false) throw new Error(`stage ${def.name}: needs work (its work module's URL), or implemented: false`);
  return def;
}

export class StageNotImplementedError extends Error {
  constructor(readonly stage: string) {
    super(`stage ${stage} is not implemented yet`);
  }
}
