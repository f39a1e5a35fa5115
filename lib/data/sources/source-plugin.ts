// The one object a dataset source is: its name, its part of the dataset stage's params, and how it
// makes a folder in the VOC layout that readVocLayout (../voc-layout.ts) turns into the index every
// later stage reads. Built-ins are listed in list.ts; a project adds its own through `plugins:` in
// pipeline.yaml (lib/plugins/plugin.ts).
import type { z } from 'zod';
import type { ProgressSink } from '../../types.ts';
import type { ReadLayoutOptions } from '../voc-layout.ts';

/** What a source may use while it builds: the artifact being written and the store's data folder. */
export interface SourceContext {
  /** the dataset artifact's folder (files here move with the artifact) */
  outDir: string;
  /** the store's shared data folder (cache/data): downloads and extracted datasets kept across runs */
  dataDir: string;
  progress: ProgressSink;
  log(line: string): void;
  signal: AbortSignal;
}

/** What a source built: a VOC-layout folder and how the artifact names it. */
export interface SourceBuild {
  /** the folder, absolute */
  root: string;
  /** the root as the stored index names it: relative for a folder inside the artifact, else absolute */
  storedRoot: string;
  /** the root as the summary line shows it (default: root) */
  shownRoot?: string;
  /** how to read the folder, beyond the source's name (lists, expected counts, ground-truth folders) */
  layout?: Omit<ReadLayoutOptions, 'source' | 'progress'>;
}

export interface DatasetSourcePlugin<O = unknown> {
  /** the value of dataset.source */
  readonly name: string;
  /** one line for `pipeline --help` */
  readonly summary: string;
  /**
   * Its options (a built-in's are dataset.<name>, a plugin's dataset.options), defaults applied.
   * Strict, so a typo is an error.
   */
  readonly options: z.ZodType<O>;
  build(options: O, ctx: SourceContext): Promise<SourceBuild>;
}

/** Identity, for the types: `export const mySource = defineSource({ name: 'mine', ... })`. */
export function defineSource<O>(p: DatasetSourcePlugin<O>): DatasetSourcePlugin<O> {
  return p;
}
