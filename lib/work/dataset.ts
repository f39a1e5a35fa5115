// The dataset stage's work (stages/dataset.ts): the chosen source (lib/data/sources) makes or
// fetches the images (toy generator, VOC + SBD prepared under cache/data, a folder of tagged
// images), then they are indexed (through the one VOC-layout reader, or by the source itself), and
// the index with the source's class list, the label matrix, the mean colour and one content hash
// per image (so per-image stages downstream recompute only images that changed) are stored.
import { roundTo } from '../format.ts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunWork, StageContext } from '../contract/stage.ts';
import type { Json } from '../store/canonical-json.ts';
import { sha256 } from '../store/hash.ts';
import { mapLimit } from '../data/concurrency.ts';
import { DATASET_FILE, type StoredDataset } from '../layouts/dataset.ts';
import type { DatasetIndex } from '../data/dataset-index.ts';
import { readRgb } from '../data/image-io.ts';
import { isBuiltInSource, sourceNamed } from '../data/sources/registry.ts';
import { splitStats, summarizeDataset } from '../data/summary.ts';
import { readVocLayout } from '../data/voc-layout.ts';
import { vocClassList } from '../data/class-list.ts';
import type { DatasetParams } from '../../stages/dataset.ts';

export const work = { run: buildDataset } satisfies RunWork<DatasetParams>;

async function buildDataset(ctx: StageContext<DatasetParams>): Promise<Record<string, Json>> {
  const { params } = ctx;
  const source = await sourceNamed(params.source);
  // a built-in source's options are dataset.<name>, a plugin's dataset.options
  const parts: Record<string, unknown> = params;
  const options = source.options.parse(isBuiltInSource(source.name) ? parts[source.name] : (params.options ?? {}));
  const built = await source.build(options, { outDir: ctx.out.dir, dataDir: ctx.dataDir, progress: ctx.progress, log: ctx.log, signal: ctx.signal });
  const root = built.root;
  const classes = built.classes ?? vocClassList();
  const index: DatasetIndex = built.images
    ? { source: source.name, root, ...built.images, classNames: classes.names, palette: classes.palette }
    : await readVocLayout(root, { ...built.layout, classes, source: source.name, progress: ctx.progress });
  const ids = [...index.splits.train, ...index.splits.val, ...index.splits.test];

  const meanRgb = await meanColour(index, params.meanSample);
  const { root: _absolute, ...rest } = index;
  const stored: StoredDataset = { ...rest, root: built.storedRoot, meanRgb };
  await ctx.out.json(DATASET_FILE, stored);

  const foreground = index.classNames.length - 1;
  const labels = new Uint8Array(ids.length * foreground);
  ids.forEach((id, i) => {
    for (const c of index.images[id].labels) labels[i * foreground + c - 1] = 1;
  });
  await ctx.out.array('labels', labels, [ids.length, foreground], { ids, classes: index.classNames.slice(1) });

  ctx.progress.start(ids.length, 'hashing');
  const hashes = await mapLimit(ids, 8, async (id) => {
    const im = index.images[id];
    const parts: (string | Uint8Array)[] = [id, im.labels.join(','), await readFile(join(root, im.image))];
    if (im.gt) parts.push(await readFile(join(root, im.gt)));
    if (im.fg) parts.push(await readFile(join(root, im.fg)));
    ctx.progress.tick();
    return sha256(...parts);
  });
  ctx.progress.done();
  await ctx.out.items({ ids, hashes });

  ctx.log(summarizeDataset(built.shownRoot === undefined ? index : { ...index, root: built.shownRoot }));
  const metrics: Record<string, Json> = { meanRgb };
  for (const split of params.splits) {
    const s = splitStats(index, split);
    metrics[split] = {
      images: s.images,
      withGt: s.withGt,
      classesPerImage: roundTo(s.classesPerImage, 3),
      objectsPerImage: roundTo(s.objectsPerImage, 3),
      imagesPerClass: s.imagesPerClass.slice(1),
    };
  }
  return metrics;
}

/** Mean RGB over an evenly spaced sample of train images (all of them when fewer than `sample`). */
async function meanColour(index: DatasetIndex, sample: number): Promise<[number, number, number]> {
  const train = index.splits.train;
  const step = Math.max(1, train.length / sample);
  const picked: string[] = [];
  for (let i = 0; i < train.length && picked.length < sample; i += step) picked.push(train[Math.floor(i)]);
  const sums = await mapLimit(picked, 8, async (id) => {
    const img = await readRgb(join(index.root, index.images[id].image));
    const s = [0, 0, 0];
    for (let p = 0; p < img.data.length; p += 3) {
      s[0] += img.data[p];
      s[1] += img.data[p + 1];
      s[2] += img.data[p + 2];
    }
    return { s, n: img.width * img.height };
  });
  const total = sums.reduce((a, b) => a + b.n, 0) || 1;
  return [0, 1, 2].map((c) => roundTo(sums.reduce((a, b) => a + b.s[c], 0) / total, 3)) as [number, number, number];
}
