// The one object a dataset source is: its name, its part of the dataset stage's params, and how it
// makes a folder of images that becomes the index every later stage reads: a folder in the VOC
// layout that readVocLayout (../voc-layout.ts) indexes, or images the source indexed itself (the
// folder source). Either way the source declares the class list its labels use. Built-ins are listed in list.ts; a project adds its own through `plugins:` in
// pipeline.yaml (lib/plugins/plugin.ts).
import type { z } from 'zod';
import type { ProgressSink } from '../../types.ts';
import type { ClassList } from '../class-list.ts';
import type { DatasetIndex } from '../dataset-index.ts';
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

/** What a source built: a folder of images, its class list, and how the artifact names it. */
export interface SourceBuild {
  /** the folder, absolute */
  root: string;
  /** the root as the stored index names it: relative for a folder inside the artifact, else absolute */
  storedRoot: string;
  /** the root as the summary line shows it (default: root) */
  shownRoot?: string;
  /**
   * the class names (background first) and colours the labels use; default VOC's, which is what a
   * VOC-layout folder's annotations name (the voc and toy sources say so explicitly)
   */
  classes?: ClassList;
  /** a VOC-layout folder: how to read it, beyond the source's name (lists, expected counts, ground-truth folders) */
  layout?: Omit<ReadLayoutOptions, 'source' | 'progress' | 'classes'>;
  /** images the source indexed itself (paths relative to root; labels are ids into `classes`); `layout` is then unused */
  images?: Pick<DatasetIndex, 'splits' | 'images'>;
}

/** A dataset's size before it is built: its split counts and a typical image (`pipeline doctor`'s estimate). */
export interface DatasetShape {
  train: number;
  val: number;
  test: number;
  width: number;
  height: number;
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
  /**
   * A digest of what the source reads from outside the cache (a user's folder), computed when the
   * params are parsed: it joins the dataset's key, so editing those files re-keys the dataset
   * instead of leaving a cached artifact that no longer matches them. A source that reads only
   * pinned downloads (checked by checksum) needs none.
   */
  state?(options: O): string | undefined;
  /** Its split counts and typical image size as published, for an estimate before any download (a source that knows them). */
  shape?(options: O): DatasetShape;
}

/** Identity, for the types: `export const mySource = defineSource({ name: 'mine', ... })`. */
export function defineSource<O>(p: DatasetSourcePlugin<O>): DatasetSourcePlugin<O> {
  return p;
}
