// The coco profile itself, through the CLI, on COCO-format archives the test makes: toy images
// named and zipped as COCO ships them (train2014.zip, val2014.zip: a folder of JPEGs each, stored;
// annotations_trainval2014.zip: the two instances files, deflated), whose instances carry COCO's
// categories (ids 1..90 with gaps, VOC's classes under their COCO names) as compressed RLE,
// uncompressed crowd RLE and polygons, overlapping, plus an image in each split with no
// annotation; a DUTS-TR zip and Keras-named HDF5 files (narrow copies) as the voc profile needs.
// All served on 127.0.0.1 and pinned by the test's MD5s through $DCSP_MIRRORS, the sizes and
// counts overridden by --set. Only sizes change; the rest is the profile's.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COCO_2014, COCO_2014_ANNOTATIONS } from '../../lib/data/coco/archives.ts';
import { parseCocoInstances } from '../../lib/data/coco/instances.ts';
import { cocoClasses, cocoImageLabels } from '../../lib/data/coco/label-map.ts';
import { encodeGrayPng, readLabelPng } from '../../lib/data/label-png.ts';
import { Dataset } from '../../lib/layouts/dataset.ts';
import { buildModel } from '../../lib/model/build.ts';
import { IMAGENET_WEIGHTS } from '../../lib/model/init-download.ts';
import { DUTS_TR } from '../../lib/saliency/duts.ts';
import { Artifact } from '../../lib/store/artifact.ts';
import { initBackend } from '../../lib/tensor/backend.ts';
import { Prng } from '../../lib/tensor/random.ts';
import { VOC_CLASSES } from '../../lib/types.ts';
import { countsToString, maskToCounts } from '../data/coco-fixture.ts';
import { makeSmallToy, serveFiles } from '../data/helpers.ts';
import { resnetEntries, vgg16Entries, writeKerasH5 } from '../model/keras-h5.ts';

/** COCO's categories, by id (the ids skip 12, 26, 29, 30, 45, 66, 68, 69, 71, 83). */
const COCO_CATEGORIES: [number, string][] = (
  '1 person,2 bicycle,3 car,4 motorcycle,5 airplane,6 bus,7 train,8 truck,9 boat,10 traffic light,11 fire hydrant,13 stop sign,' +
  '14 parking meter,15 bench,16 bird,17 cat,18 dog,19 horse,20 sheep,21 cow,22 elephant,23 bear,24 zebra,25 giraffe,27 backpack,' +
  '28 umbrella,31 handbag,32 tie,33 suitcase,34 frisbee,35 skis,36 snowboard,37 sports ball,38 kite,39 baseball bat,' +
  '40 baseball glove,41 skateboard,42 surfboard,43 tennis racket,44 bottle,46 wine glass,47 cup,48 fork,49 knife,50 spoon,' +
  '51 bowl,52 banana,53 apple,54 sandwich,55 orange,56 broccoli,57 carrot,58 hot dog,59 pizza,60 donut,61 cake,62 chair,' +
  '63 couch,64 potted plant,65 bed,67 dining table,70 toilet,72 tv,73 laptop,74 mouse,75 remote,76 keyboard,77 cell phone,' +
  '78 microwave,79 oven,80 toaster,81 sink,82 refrigerator,84 book,85 clock,86 vase,87 scissors,88 teddy bear,89 hair drier,90 toothbrush'
)
  .split(',')
  .map((s) => {
    const at = s.indexOf(' ');
    return [Number(s.slice(0, at)), s.slice(at + 1)];
  });
/** VOC's names that COCO spells otherwise */
const COCO_NAME: Record<string, string> = {
  aeroplane: 'airplane',
  diningtable: 'dining table',
  motorbike: 'motorcycle',
  pottedplant: 'potted plant',
  sofa: 'couch',
  tvmonitor: 'tv',
};
const categoryOfVoc = (vocId: number): number => {
  const name = COCO_NAME[VOC_CLASSES[vocId]] ?? VOC_CLASSES[vocId];
  return COCO_CATEGORIES.find(([, n]) => n === name)![0];
};
const NAMES = ['background', ...COCO_CATEGORIES.map(([, n]) => n)];

const ROOT = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'dcsp-coco-e2e-'));
const cache = join(work, 'cache');
const WIDTH = 16;
/** per split: the annotated images, and one more the WSSS filter drops */
const COUNTS = { train: 8, val: 3 };
let archiveBytes: Record<'annotations' | 'train' | 'val' | 'valMissing', number>;
const sizes = () =>
  [
    `dataset.coco.sources={annotations: {bytes: ${archiveBytes.annotations}}, train: {bytes: ${archiveBytes.train}}, val: {bytes: ${archiveBytes.val}}}`,
    `dataset.coco.expected={train: {images: ${COUNTS.train + 1}, annotated: ${COUNTS.train}}, val: {images: ${COUNTS.val + 1}, annotated: ${COUNTS.val}}}`,
    'dataset.meanSample=10',
    'saliency-train.duts.pairs=6',
    'saliency-train.holdout=1',
    `saliency-train.widthDivisor=${WIDTH}`,
    'saliency-train.size=32',
    'saliency-train.iterations=2',
    'saliency-train.batch=2',
    `fcan-pretrain.widthDivisor=${WIDTH}`,
    'fcan-pretrain.iterations=2',
    'fcan-pretrain.batch=2',
    'fcan-pretrain.crop=48',
    'train.iterations=2',
    'train.batch=2',
    'train.crop=48',
    'retrain.iterations=2',
    'retrain.batch=2',
    'retrain.crop=48',
  ].flatMap((s) => ['--set', s]);

let server: Awaited<ReturnType<typeof serveFiles>>;
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
// biome-ignore lint/suspicious/noExplicitAny: the instances JSON the test writes, walked by the tests that check it
type Json = any;
const instances: Record<'train' | 'val', Json> = { train: null, val: null };
/** the toy images behind each split's COCO images, in order */
const toyIds = { train: [] as string[], val: [] as string[] };
/** image file name -> the categories of its annotations, as the test wrote them */
const tagsOf = new Map<string, Set<number>>();

interface Outcome {
  stage: string;
  status: 'cached' | 'run';
  key: string;
  // biome-ignore lint/suspicious/noExplicitAny: parsed JSON metrics, walked by the paths each test asserts on (a wrong path fails its expect)
  metrics: Record<string, any>;
}

async function cli(args: string[], opts: { cache?: string; mirrors?: string; extra?: string[] } = {}) {
  const r = await execa(
    process.execPath,
    [join(ROOT, 'bin/pipeline.mjs'), ...args, '--profile', 'coco', '--cache', opts.cache ?? cache, '--json', ...sizes(), ...(opts.extra ?? [])],
    { cwd: ROOT, env: { DCSP_MIRRORS: opts.mirrors ?? join(work, 'mirrors.json'), FORCE_COLOR: '0' }, reject: false },
  );
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** A polygon's area (the shoelace formula), as COCO's `area` of a polygon instance is. */
function polygonArea(xy: number[]): number {
  let s = 0;
  for (let i = 0; i < xy.length; i += 2) {
    const j = (i + 2) % xy.length;
    s += xy[i] * xy[j + 1] - xy[j] * xy[i + 1];
  }
  return Math.abs(s) / 2;
}

/**
 * A split's instances and image zip from toy images: each class of an image's label map is one
 * instance (compressed RLE, crowd RLE or its bounding box as a polygon, by image), and a small
 * triangle of a person overlaps the first (smaller area: it is painted on top).
 */
async function cocoSplit(toy: string, split: 'train' | 'val', ids: string[]): Promise<{ zip: Uint8Array; json: Json; entries: Record<string, Uint8Array> }> {
  const folder = COCO_2014[split].folder;
  const images: Json[] = [];
  const annotations: Json[] = [];
  const zipped: Record<string, Uint8Array> = {};
  for (const [i, toyId] of ids.entries()) {
    const fileName = `COCO_${folder}_${String(1000 + i).padStart(12, '0')}.jpg`;
    const imageId = (split === 'train' ? 1000 : 5000) + i;
    const gt = await readLabelPng(join(toy, 'SegmentationClass', `${toyId}.png`), { maxClass: VOC_CLASSES.length - 1 });
    const { width, height } = gt;
    images.push({ id: imageId, width, height, file_name: fileName, license: 1 });
    zipped[`${folder}/${fileName}`] = readFileSync(join(toy, 'JPEGImages', `${toyId}.jpg`));
    const tags = new Set<number>();
    tagsOf.set(fileName, tags);
    if (i === ids.length - 1) continue; // no annotation: the WSSS filter drops it
    const classes = [...new Set(gt.data)].filter((v) => v !== 0 && v !== 255).sort((a, b) => a - b);
    for (const [k, c] of classes.entries()) {
      const mask = gt.data.map((v) => (v === c ? 1 : 0));
      const area = mask.reduce((a, b) => a + b, 0);
      const category = categoryOfVoc(c);
      tags.add(category);
      const base = { id: imageId * 100 + k, image_id: imageId, category_id: category, area, bbox: [0, 0, 1, 1] };
      if (i % 3 === 0)
        annotations.push({ ...base, iscrowd: 0, segmentation: { size: [height, width], counts: countsToString(maskToCounts(mask, width, height)) } });
      else if (i % 3 === 1) annotations.push({ ...base, iscrowd: 1, segmentation: { size: [height, width], counts: maskToCounts(mask, width, height) } });
      else {
        let [x0, y0, x1, y1] = [width, height, 0, 0];
        for (let p = 0; p < mask.length; p++)
          if (mask[p])
            [x0, y0, x1, y1] = [Math.min(x0, p % width), Math.min(y0, Math.floor(p / width)), Math.max(x1, p % width), Math.max(y1, Math.floor(p / width))];
        const box = [x0, y0, x1 + 1, y0, x1 + 1, y1 + 1, x0, y1 + 1];
        annotations.push({ ...base, iscrowd: 0, area: polygonArea(box), segmentation: [box] });
      }
      if (k === 0) {
        const tri = [width * 0.2, height * 0.2, width * 0.45, height * 0.25, width * 0.3, height * 0.5];
        annotations.push({
          id: imageId * 100 + 99,
          image_id: imageId,
          category_id: 1,
          iscrowd: 0,
          area: polygonArea(tri),
          bbox: [0, 0, 1, 1],
          segmentation: [tri],
        });
        tags.add(1);
      }
    }
  }
  const categories = COCO_CATEGORIES.map(([id, name]) => ({ id, name, supercategory: 'thing' }));
  const json = { info: { year: 2014 }, licenses: [{ id: 1, name: 'test' }], images, annotations, categories };
  // COCO's image zips hold a folder of JPEGs; stored, as JPEGs compress no further
  const entries = { [`${folder}/`]: new Uint8Array(0), ...zipped };
  return { zip: zipSync(entries, { level: 0 }), json, entries };
}

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', log: () => {} });
  const toy = await makeSmallToy(join(work, 'toy'), { seed: 8, counts: { train: COUNTS.train + 1, val: COUNTS.val + 1, test: 0 }, minSize: 56, maxSize: 64 });
  const list = (s: string) =>
    readFileSync(join(toy, 'ImageSets/Segmentation', `${s}.txt`), 'utf8')
      .trim()
      .split('\n');
  toyIds.train = list('train');
  toyIds.val = list('val');
  const train = await cocoSplit(toy, 'train', toyIds.train);
  const val = await cocoSplit(toy, 'val', toyIds.val);
  instances.train = train.json;
  instances.val = val.json;
  const annotationsZip = zipSync({
    [COCO_2014.train.instances]: new TextEncoder().encode(JSON.stringify(train.json)),
    [COCO_2014.val.instances]: new TextEncoder().encode(JSON.stringify(val.json)),
    'annotations/captions_train2014.json': new TextEncoder().encode('{"annotations": []}'),
  });
  // val2014.zip without the first image the instances file lists: a bad archive
  const { [`val2014/${val.json.images[0].file_name}`]: _first, ...rest } = val.entries;
  const valMissing = zipSync(rest, { level: 0 });

  const duts: Record<string, Uint8Array> = {};
  for (const id of list('train').slice(0, 6)) {
    duts[`${DUTS_TR.images}/${id}.jpg`] = readFileSync(join(toy, 'JPEGImages', `${id}.jpg`));
    const gt = await readLabelPng(join(toy, 'SegmentationClass', `${id}.png`), { maxClass: VOC_CLASSES.length - 1 });
    duts[`${DUTS_TR.masks}/${id}.png`] = encodeGrayPng({ ...gt, data: gt.data.map((v) => (v > 0 && v < 255 ? 255 : 0)) });
  }
  const resnet = buildModel('deeplabv2-resnet101', { classes: NAMES.length, widthDivisor: WIDTH });
  await writeKerasH5(join(work, 'resnet.h5'), resnetEntries(resnet, new Prng(11), 'trained').entries);
  resnet.dispose();
  const vgg = buildModel('deeplab-largefov-vgg16', { classes: NAMES.length, widthDivisor: WIDTH });
  await writeKerasH5(join(work, 'vgg.h5'), vgg16Entries(vgg, new Prng(12), 'trained'));
  vgg.dispose();

  const files = new Map<string, Uint8Array>([
    ['/annotations.zip', annotationsZip],
    ['/train.zip', train.zip],
    ['/val.zip', val.zip],
    ['/val-missing.zip', valMissing],
    ['/duts.zip', zipSync(duts)],
    ['/resnet.h5', readFileSync(join(work, 'resnet.h5'))],
    ['/vgg.h5', readFileSync(join(work, 'vgg.h5'))],
  ]);
  archiveBytes = { annotations: annotationsZip.length, train: train.zip.length, val: val.zip.length, valMissing: valMissing.length };
  server = await serveFiles(files);
  const mirror = (path: string) => ({ url: `${server.base}${path}`, md5: md5(files.get(path)!) });
  const mirrors = {
    [COCO_2014_ANNOTATIONS.url]: mirror('/annotations.zip'),
    [COCO_2014.train.images.url]: mirror('/train.zip'),
    [COCO_2014.val.images.url]: mirror('/val.zip'),
    [DUTS_TR.url]: mirror('/duts.zip'),
    [IMAGENET_WEIGHTS['deeplabv2-resnet101']!.url]: mirror('/resnet.h5'),
    [IMAGENET_WEIGHTS['deeplab-largefov-vgg16']!.url]: mirror('/vgg.h5'),
  };
  writeFileSync(join(work, 'mirrors.json'), JSON.stringify(mirrors));
  // the same, but val2014.zip lacks an image (no MD5: the content check must catch it)
  writeFileSync(join(work, 'mirrors-missing.json'), JSON.stringify({ ...mirrors, [COCO_2014.val.images.url]: { url: `${server.base}/val-missing.zip` } }));
}, 120_000);

afterAll(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the coco profile end to end on COCO-format archives', () => {
  let outcomes: Outcome[];
  let log = '';
  beforeAll(async () => {
    const r = await cli(['run']);
    expect(r.code, r.stderr.slice(-4000)).toBe(0);
    outcomes = (JSON.parse(r.stdout) as { outcomes: Outcome[] }).outcomes;
    log = r.stderr;
  }, 900_000);
  const metrics = () => Object.fromEntries(outcomes.map((o) => [o.stage, o.metrics]));
  const artifact = (stage: string) => Artifact.open(join(cache, stage, outcomes.find((x) => x.stage === stage)!.key));

  it('runs every stage of the profile to the report', () => {
    expect(outcomes.map((o) => o.stage).sort()).toEqual([
      'adapt',
      'attention',
      'cues',
      'cues-oracle',
      'dataset',
      'erase-s2',
      'erase-s3',
      'eval',
      'eval-direct',
      'eval-oracle',
      'fcan-pretrain',
      'report',
      'retrain',
      'saliency-s1',
      'saliency-train',
      'train',
      'train-oracle',
    ]);
    expect(outcomes.every((o) => o.status === 'run')).toBe(true);
    expect(existsSync(join(cache, 'report', outcomes.find((o) => o.stage === 'report')!.key, 'report.html'))).toBe(true);
  });

  it('keeps the annotated images: train2014 -> train, val2014 -> val, every one with its label map', () => {
    const m = metrics();
    expect(m.dataset.train).toMatchObject({ images: COUNTS.train, withGt: COUNTS.train });
    expect(m.dataset.val).toMatchObject({ images: COUNTS.val, withGt: COUNTS.val });
    expect(m.dataset.train.imagesPerClass).toHaveLength(COCO_CATEGORIES.length);
  });

  it('the label maps and tags are the instances by the coco2voc rule, class k the k-th category by id', async () => {
    const ds = await Dataset.open(await artifact('dataset'));
    expect(ds.index.classNames).toEqual(NAMES);
    for (const split of ['train', 'val'] as const) {
      const inst = parseCocoInstances(instances[split], split);
      const classes = cocoClasses(inst);
      for (const img of inst.images) {
        const id = img.fileName.replace(/\.jpg$/, '');
        const wanted = [...tagsOf.get(img.fileName)!].map((c) => classes.classOf.get(c)!).sort((a, b) => a - b);
        if (wanted.length === 0) {
          expect(ds.index.images[id], id).toBeUndefined();
          continue;
        }
        expect(ds.labels(id), id).toEqual(wanted);
        expect(ds.index.splits[split]).toContain(id);
        const mine = cocoImageLabels(
          img,
          inst.annotations.filter((a) => a.imageId === img.id),
          classes,
        );
        const gt = (await ds.readGt(id))!;
        expect(Buffer.from(gt.data).equals(Buffer.from(mine.labels.data)), id).toBe(true);
      }
    }
    // independently of lib/data/coco: an image whose instances are RLE (compressed, or crowd) has,
    // at every pixel, the toy's class there (its void band: background) or the person triangle's
    const person = NAMES.indexOf('person');
    for (const [i, toyId] of toyIds.val.slice(0, -1).entries()) {
      if (i % 3 === 2) continue; // boxes as polygons
      const toyGt = await readLabelPng(join(work, 'toy', 'SegmentationClass', `${toyId}.png`), { maxClass: VOC_CLASSES.length - 1 });
      const gt = (await ds.readGt(instances.val.images[i].file_name.replace(/\.jpg$/, '')))!;
      let triangle = 0;
      for (let p = 0; p < gt.data.length; p++) {
        const t = toyGt.data[p];
        const want = t === 0 || t === 255 ? 0 : NAMES.indexOf(COCO_NAME[VOC_CLASSES[t]] ?? VOC_CLASSES[t]);
        if (gt.data[p] === person && want !== person) triangle++;
        else expect(gt.data[p], `${toyId} pixel ${p}`).toBe(want);
      }
      expect(triangle).toBeGreaterThan(0);
    }
    // category 1 (person) is class 1, category 90 (toothbrush) class N: ids with gaps become 1..N
    expect(ds.index.classNames[1]).toBe('person');
    expect(ds.index.classNames.at(-1)).toBe('toothbrush');
  });

  it("the oracle's cues are the label maps made from the instances", async () => {
    const ds = await Dataset.open(await artifact('dataset'));
    const cues = await (await artifact('cues-oracle')).items('cue');
    for (const id of ds.ids('train')) {
      const gt = (await ds.readGt(id))!;
      expect(Buffer.from((await cues.read(id)).data as Uint8Array).equals(Buffer.from(gt.data)), id).toBe(true);
    }
  });

  it('eval reports the IoU of background and every COCO class by name', () => {
    const m = metrics();
    expect(m.eval.images).toBe(COUNTS.val);
    expect(Object.keys(m.eval.iou)).toEqual(NAMES);
    expect(Object.keys(m['eval-oracle'].iou)).toEqual(NAMES);
    for (const name of ['background', 'person', 'dining table', 'toothbrush'])
      expect(log).toMatch(new RegExp(`^${name} +(\\d+\\.\\d\\d|-) +(\\d+\\.\\d\\d|-)$`, 'm'));
  });

  it('bad archives are exit 2, one line naming the file: a wrong size; an image zip without an image its instances file lists', async () => {
    // the two runs at once: each only reaches the dataset stage, in a cache of its own
    const [size, missing] = await Promise.all([
      cli(['run', '--until', 'dataset'], {
        cache: join(work, 'cache-size'),
        extra: ['--set', `dataset.coco.sources.annotations.bytes=${archiveBytes.annotations + 1}`],
      }),
      cli(['run', '--until', 'dataset'], {
        cache: join(work, 'cache-missing'),
        mirrors: join(work, 'mirrors-missing.json'),
        extra: ['--set', `dataset.coco.sources.val.bytes=${archiveBytes.valMissing}`],
      }),
    ]);
    expect(size.code, size.stderr.slice(-2000)).toBe(2);
    expect(size.stderr.trim().split('\n').at(-1)).toMatch(
      new RegExp(
        `^stage dataset: \\S+/annotations_trainval2014\\.zip: ${archiveBytes.annotations} bytes, but annotations_trainval2014\\.zip has ${archiveBytes.annotations + 1} `,
      ),
    );
    expect(missing.code, missing.stderr.slice(-2000)).toBe(2);
    const first = instances.val.images[0].file_name;
    expect(missing.stderr.trim().split('\n').at(-1)).toMatch(
      new RegExp(`^stage dataset: \\S+/val2014\\.zip: images of annotations/instances_val2014\\.json missing from val2014/: ${first}$`),
    );
  }, 300_000);
});
