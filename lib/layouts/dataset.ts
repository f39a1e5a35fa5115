// The dataset stage's artifact as later stages see it: one reader for toy and VOC alike. The index
// is stored with its root relative to the artifact when the images live inside it (toy), so the
// artifact can be moved (committed by rename) without rewriting paths.
import { isAbsolute, join } from 'node:path';
import type { Artifact } from '../store/artifact.ts';
import type { Map8, RgbImage } from '../types.ts';
import type { DatasetImage, DatasetIndex, SplitName } from '../data/dataset-index.ts';

export const DATASET_FILE = 'dataset.json';

/** dataset.json: the index plus what stages derive from the whole set */
export interface StoredDataset extends Omit<DatasetIndex, 'root'> {
  /** relative to the artifact directory, or absolute (VOC prepared under cache/data) */
  root: string;
  /** mean RGB of the train images (the erase fill colour) */
  meanRgb: [number, number, number];
}

export class Dataset {
  constructor(
    readonly index: DatasetIndex,
    readonly meanRgb: [number, number, number],
  ) {}

  static async open(art: Artifact): Promise<Dataset> {
    const stored = await art.json<StoredDataset>(DATASET_FILE);
    const root = isAbsolute(stored.root) ? stored.root : join(art.dir, stored.root);
    const { meanRgb, ...index } = stored;
    return new Dataset({ ...index, root }, meanRgb);
  }

  ids(split: SplitName | 'all'): string[] {
    if (split === 'all') return [...this.index.splits.train, ...this.index.splits.val, ...this.index.splits.test];
    return this.index.splits[split];
  }

  image(id: string): DatasetImage {
    const im = this.index.images[id];
    if (!im) throw new Error(`dataset has no image ${id}`);
    return im;
  }

  labels(id: string): number[] {
    return this.image(id).labels;
  }

  imagePath(id: string): string {
    return join(this.index.root, this.image(id).image);
  }

  async readImage(id: string): Promise<RgbImage> {
    const { readRgb } = await import('../data/image-io.ts');
    return readRgb(this.imagePath(id));
  }

  /** the largest class id a label map may hold (the class list's last) */
  get maxClass(): number {
    return this.index.classNames.length - 1;
  }

  /** ground-truth label map (0 background, class ids, 255 void), or null where the dataset has none */
  async readGt(id: string): Promise<Map8 | null> {
    const gt = this.image(id).gt;
    if (!gt) return null;
    const { readLabelPng } = await import('../data/label-png.ts');
    return readLabelPng(join(this.index.root, gt), { maxClass: this.maxClass });
  }

  /** class-agnostic foreground (1 object, 0 background, 255 void): toy's own masks, else from the GT */
  async readForeground(id: string): Promise<Map8 | null> {
    const fg = this.image(id).fg;
    const { readLabelPng } = await import('../data/label-png.ts');
    if (fg) return readLabelPng(join(this.index.root, fg), { maxClass: this.maxClass });
    const gt = await this.readGt(id);
    if (!gt) return null;
    const data = gt.data.map((v) => (v === 255 ? 255 : v > 0 ? 1 : 0));
    return { width: gt.width, height: gt.height, data };
  }
}
