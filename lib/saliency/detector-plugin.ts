// The one object a saliency detector is: its name, its spec schema, how saliency-s1's params become
// its spec, what the stages must know of it (inputs it reads, tensors, refusals), the files it needs
// beside its spec, and how a worker builds it. Built-ins are listed in detectors/list.ts; a
// project adds its own through `plugins:` in pipeline.yaml (lib/plugins/plugin.ts).
import type { z } from 'zod';
import type { ProgressSink } from '../types.ts';
import type { CreateDetectorOptions, DetectorSpec, FolderLock, SaliencyDetector } from './spec.ts';

/** What saliency-s1's params say about the detector besides its name. */
export interface DetectorChoice {
  /** saliency-s1.model: a file or folder the detector reads, or a named model */
  model?: string;
  /** saliency-s1.options: the rest of the spec */
  options: Record<string, unknown>;
}

/** A bad param found when the params are parsed (exit 2), at a path below saliency-s1. */
export interface ParamIssue {
  path: string[];
  message: string;
}

/** The store's shared data folder (cache/data), and what a fetch into it reports to. */
export interface DataFolder {
  dir: string;
  progress: ProgressSink;
  log(line: string): void;
  signal: AbortSignal;
  lock: FolderLock;
}

/** What a pass offers a detector whose spec alone does not hold its files (weights, a fetched model). */
export interface PassFiles {
  /** the first pass's weights: saliency-s1.model, else the artifact mapped to its input `weights` */
  givenWeights(): string;
  /** an erase pass: the folder the pass before kept its files in */
  previousKept(): string;
  /** keep a folder in this pass's artifact (KEPT_FILES), hard-linked; returns a hash of its contents */
  keep(src: string): Promise<string>;
  data: DataFolder;
}

/** Where a worker finds a pass's files. */
export interface PassPlaces {
  /** the weights this pass runs with (the first pass: given; erase passes: the pass before's kept folder) */
  weights(): string;
  /** the store's data folder */
  dataDir: string;
}

/** Where a pass keeps its detector's files, relative to its artifact (named so in the stored spec). */
export const KEPT_FILES = 'detector';

export interface DetectorPlugin<S extends DetectorSpec = DetectorSpec> {
  /** the `kind` of its specs and the value of saliency-s1.detector */
  readonly name: string;
  /** one line for `pipeline --help` */
  readonly summary: string;
  /** its whole spec, `kind` included (strict: a typo in a param is an error) */
  readonly spec: z.ZodType<S>;
  /** it runs tfjs networks: the stages' keys then carry the numerics (lib/contract/numerics.ts) */
  readonly tensors?: boolean;
  /**
   * it runs onnxruntime sessions, created with onnxExecutionProviders() (lib/tensor/onnx-provider.ts):
   * on a GPU run with the CUDA provider installed the stages hold a GPU slot and name the provider in their keys
   */
  readonly onnx?: boolean;
  /** saliency-s1's params as a spec (unparsed; `kind` is added after); throws when they cannot be one */
  fromParams?(choice: DetectorChoice): Record<string, unknown>;
  /** checks of saliency-s1's params at parse time */
  checkParams?(choice: DetectorChoice): ParamIssue[];
  /** plan-time refusal (lib/contract/stage.ts `refuse`): the saliency-s1 param to blame and why */
  refuse?(choice: DetectorChoice, hasWeightsInput: boolean): { key: string; message: string } | null;
  /** it reads saliency-s1's optional input `weights` (saliency-train) under these params */
  readsWeights?(choice: DetectorChoice): boolean;
  /** the first pass: the spec completed with what keys its files (kept weights' hash, a fetched model's sha256) */
  firstPass?(spec: S, files: PassFiles): Promise<S>;
  /** an erase pass: make its files available again from the pass before */
  erasePass?(spec: S, files: PassFiles): Promise<void>;
  /** in a worker: the spec and options to build with, given where the pass's files are */
  located?(spec: S, at: PassPlaces): { spec: S; opts?: CreateDetectorOptions };
  /** build it; heavy libraries are imported here, so listing a detector costs nothing */
  create(spec: S, opts: CreateDetectorOptions): Promise<SaliencyDetector>;
}

/** Identity, for the types: `export const myDetector = defineDetector({ name: 'mine', ... })`. */
export function defineDetector<S extends DetectorSpec>(p: DetectorPlugin<S>): DetectorPlugin<S> {
  return p;
}
