// What resolving pipeline.yaml yields: plain JSON (load.ts memoises it on disk), and the shapes the
// resolver's phases hand each other.
import type { StageDefinition } from '../contract/stage.ts';
import type { Override } from './overrides.ts';

export interface ResolvedStage {
  name: string;
  description: string;
  version: number;
  /** false: declared in the DAG only */
  implemented: boolean;
  /** absolute path of the stage module */
  module: string;
  /** slot -> upstream stage */
  inputs: Record<string, string>;
  params: Record<string, unknown>;
  isolate: boolean;
  /** its key covers its inputs' lineage (StageDefinition.readsLineage) */
  readsLineage: boolean;
  /** it computes with tensors under these params and inputs: its key carries numerics (lib/contract/numerics.ts) */
  tensors: boolean;
  /** it runs onnxruntime sessions (StageDefinition.onnx): on CUDA, its key names the provider */
  onnx: boolean;
  /** it computes per item (lib/exec/per-item.ts) */
  perItem: boolean;
  /** params left out of its key (StageDefinition.guards) */
  guards: string[];
}

/** A stage declared `on_demand` that no stage of this run reads: not part of the run. */
export interface IdleStage {
  name: string;
  description: string;
  /** the stages that read it under other params, and through which slot */
  readers: { stage: string; slot: string }[];
}

/** Everything a run needs from pipeline.yaml, as plain JSON. */
export interface Resolution {
  file: string;
  root: string;
  profile: string;
  profiles: string[];
  overrides: Override[];
  /** refs namespace of this run: the profile, plus a digest of any overrides */
  variant: string;
  /** in dependency order: the stages of this run */
  stages: ResolvedStage[];
  /** on-demand stages nothing in this run reads (status and dag list them; run skips them) */
  idle: IdleStage[];
  /** where a stage's own params override what it follows (the comparison then differs), one line each */
  notes: string[];
  /** the pipeline file's plugins, absolute (lib/plugins) */
  plugins: string[];
}

export interface LoadOptions {
  profile?: string;
  set?: string[];
  /** pre-parsed overrides (sweeps) */
  overrides?: Override[];
  /** on-demand stages to include even if nothing reads them (`run --until saliency-train`) */
  demand?: string[];
}

/** Each stage's definition (its module imported) and module path, by stage name. */
export type StageDefs = Map<string, { def: StageDefinition<Record<string, unknown>>; module: string }>;

/** An input slot of `to` mapped to the stage `from`. */
export interface SlotEdge {
  from: string;
  to: string;
  slot: string;
}

/** A stage's resolved params, by stage name. */
export type StageParams = Map<string, Record<string, unknown>>;
