// The one index shape every later stage reads, whatever the source (toy generator or VOC + SBD).

import type { Rgb } from './palette.ts';

/** a source's name (lib/data/sources/registry.ts): toy, voc, folder, or a plugin's */
export type DatasetSource = string;
export type SplitName = 'train' | 'val' | 'test';

export interface DatasetImage {
  id: string;
  /** paths relative to DatasetIndex.root */
  image: string;
  /** label PNG (palette or grayscale ids, 255 void) when ground truth exists */
  gt: string | null;
  /** class-agnostic foreground mask (toy only: 1 object, 0 background, 255 void) */
  fg: string | null;
  width: number;
  height: number;
  /** image-level labels: class ids (1 = classNames[1]), sorted, unique (from the XML annotation or the tags file) */
  labels: number[];
  /** number of annotated object instances */
  objects: number;
}

export interface DatasetIndex {
  source: DatasetSource;
  /** absolute */
  root: string;
  splits: Record<SplitName, string[]>;
  images: Record<string, DatasetImage>;
  /** index = class id, 0 background */
  classNames: string[];
  /** 256 entries: class colours, 255 void */
  palette: Rgb[];
}
