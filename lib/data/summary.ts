// A plain-text summary of a dataset index, for logs and the report.

import type { DatasetIndex, SplitName } from './dataset-index.ts';

export interface SplitStats {
  images: number;
  withGt: number;
  /** mean image-level classes per image */
  classesPerImage: number;
  /** mean annotated instances per image */
  objectsPerImage: number;
  /** images containing each class, index = class id (0 unused) */
  imagesPerClass: number[];
  minSide: number;
  maxSide: number;
}

export function splitStats(index: DatasetIndex, split: SplitName): SplitStats {
  const ids = index.splits[split];
  const perClass = new Array<number>(index.classNames.length).fill(0);
  let classes = 0;
  let objects = 0;
  let withGt = 0;
  let minSide = Infinity;
  let maxSide = 0;
  for (const id of ids) {
    const img = index.images[id];
    classes += img.labels.length;
    objects += img.objects;
    if (img.gt) withGt++;
    for (const c of img.labels) perClass[c]++;
    minSide = Math.min(minSide, img.width, img.height);
    maxSide = Math.max(maxSide, img.width, img.height);
  }
  const n = Math.max(1, ids.length);
  return {
    images: ids.length,
    withGt,
    classesPerImage: classes / n,
    objectsPerImage: objects / n,
    imagesPerClass: perClass,
    minSide: ids.length ? minSide : 0,
    maxSide,
  };
}

export function summarizeDataset(index: DatasetIndex): string {
  const splits: SplitName[] = ['train', 'val', 'test'];
  const stats = splits.map((s) => splitStats(index, s));
  const lines = [`dataset: ${index.source} at ${index.root}`];
  lines.push('split   images  with-gt  classes/img  objects/img  sides');
  splits.forEach((s, k) => {
    const st = stats[k];
    lines.push(
      `${s.padEnd(6)} ${String(st.images).padStart(7)} ${String(st.withGt).padStart(8)} ${st.classesPerImage.toFixed(2).padStart(12)} ` +
        `${st.objectsPerImage.toFixed(2).padStart(12)}  ${st.images ? `${st.minSide}-${st.maxSide}` : '-'}`,
    );
  });
  lines.push('images per class (train / val / test):');
  const width = Math.max(...index.classNames.map((n) => n.length));
  for (let c = 1; c < index.classNames.length; c++) {
    lines.push(`  ${String(c).padStart(2)} ${index.classNames[c].padEnd(width)} ${stats.map((st) => String(st.imagesPerClass[c]).padStart(6)).join(' ')}`);
  }
  return lines.join('\n');
}
