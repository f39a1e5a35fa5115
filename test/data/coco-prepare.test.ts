// prepareCoco on small COCO-format zips of the test's own (given as local archives): the WSSS
// filter, the class list, one label map per annotated image, reuse and resumption image by image,
// and bad input named in one line.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { COCO_2014 } from '../../lib/data/coco/archives.ts';
import { type PrepareCocoOptions, prepareCoco } from '../../lib/data/coco/prepare.ts';
import { encodeJpeg } from '../../lib/data/image-io.ts';
import { readLabelPng } from '../../lib/data/label-png.ts';
import { InputError } from '../../lib/errors.ts';
import { silentProgress } from '../../lib/types.ts';
import { countsToString } from './coco-fixture.ts';

const dir = mkdtempSync(join(tmpdir(), 'dcsp-coco-prepare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const W = 12;
const H = 8;
const categories = [
  { id: 18, name: 'dog' },
  { id: 1, name: 'person' },
];

/** A split of three images: a dog (compressed RLE) under a person (crowd RLE), a person polygon, and one with nothing. */
async function split(
  kind: 'train' | 'val',
  sizes: [number, number][] = [
    [W, H],
    [W, H],
    [W, H],
  ],
) {
  const folder = COCO_2014[kind].folder;
  const base = kind === 'train' ? 100 : 200;
  const images = sizes.map(([w, h], i) => ({ id: base + i, width: W, height: H, file_name: `COCO_${folder}_${base + i}.jpg`, real: [w, h] }));
  const jpegs: Record<string, Uint8Array> = {};
  for (const im of images) {
    const [w, h] = im.real;
    jpegs[`${folder}/${im.file_name}`] = await encodeJpeg({ width: w, height: h, data: new Uint8Array(w * h * 3).fill(90) });
  }
  // column-major runs: the dog covers columns 0-5 fully (48 px), the person columns 4-7 (32 px)
  const annotations = [
    { id: base * 10, image_id: base, category_id: 18, iscrowd: 0, area: 48, segmentation: { size: [H, W], counts: countsToString([0, 48, 48]) } },
    { id: base * 10 + 1, image_id: base, category_id: 1, iscrowd: 1, area: 32, segmentation: { size: [H, W], counts: [32, 32, 32] } },
    { id: base * 10 + 2, image_id: base + 1, category_id: 1, iscrowd: 0, area: 20, segmentation: [[1, 1, 6, 1, 6, 5, 1, 5]] },
  ];
  const json = { images: images.map(({ real: _r, ...im }) => im), annotations, categories };
  return { json, zip: zipSync(jpegs, { level: 0 }) };
}

async function archives(where: string, opts: { valSizes?: [number, number][] } = {}) {
  const train = await split('train');
  const val = await split('val', opts.valSizes);
  const ann = zipSync({
    [COCO_2014.train.instances]: new TextEncoder().encode(JSON.stringify(train.json)),
    [COCO_2014.val.instances]: new TextEncoder().encode(JSON.stringify(val.json)),
  });
  const files = { annotations: join(where, 'ann.zip'), train: join(where, 'train.zip'), val: join(where, 'val.zip') };
  writeFileSync(files.annotations, ann);
  writeFileSync(files.train, train.zip);
  writeFileSync(files.val, val.zip);
  const bytes = { annotations: ann.length, train: train.zip.length, val: val.zip.length };
  return { files, bytes };
}

function options(dataDir: string, a: Awaited<ReturnType<typeof archives>>, log: string[]): PrepareCocoOptions {
  return {
    dataDir,
    archives: a.files,
    sources: { annotations: { bytes: a.bytes.annotations }, train: { bytes: a.bytes.train }, val: { bytes: a.bytes.val } },
    expected: { train: { images: 3, annotated: 2 }, val: { images: 3, annotated: 2 } },
    progress: silentProgress,
    log: (l) => log.push(l),
  };
}

describe('prepareCoco', () => {
  it('indexes the annotated images with their label maps and tags; a second run reuses every map, a lost one is made again', async () => {
    const where = mkdtempSync(join(dir, 'ok-'));
    const a = await archives(where);
    const log: string[] = [];
    const data = join(where, 'data');
    const p = await prepareCoco(options(data, a, log));
    // category ids in order: person (1) is class 1, dog (18) class 2
    expect(p.classes.names).toEqual(['background', 'person', 'dog']);
    expect(p.splits).toEqual({ train: ['COCO_train2014_100', 'COCO_train2014_101'], val: ['COCO_val2014_200', 'COCO_val2014_201'], test: [] });
    const first = p.images.COCO_train2014_100;
    expect(first).toMatchObject({ image: 'train2014/COCO_train2014_100.jpg', width: W, height: H, labels: [1, 2], objects: 2, fg: null });
    const gt = await readLabelPng(join(p.root, first.gt!), { maxClass: 2 });
    // the smaller person is painted first and keeps columns 4-7; the dog keeps 0-3 of its 0-5
    const row = Array.from(gt.data.subarray(0, W));
    expect(row).toEqual([2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0]);
    expect(log.filter((l) => l.includes('label maps'))).toEqual([
      'coco train2014: 2 of 3 images have an annotation; 2 label maps made, 0 reused',
      'coco val2014: 2 of 3 images have an annotation; 2 label maps made, 0 reused',
    ]);

    rmSync(join(p.root, p.images.COCO_val2014_201.gt!));
    writeFileSync(join(p.root, `${p.images.COCO_val2014_200.gt!}.123.tmp`), 'a map cut short by a stopped run');
    const again: string[] = [];
    const q = await prepareCoco(options(data, a, again));
    expect(q).toEqual(p);
    expect(again.filter((l) => l.includes('label maps'))).toEqual([
      'coco train2014: 2 of 3 images have an annotation; 0 label maps made, 2 reused',
      'coco val2014: 2 of 3 images have an annotation; 1 label maps made, 1 reused',
    ]);
    // once extracted, the zips are not needed again
    for (const f of Object.values(a.files)) rmSync(f);
    expect(await prepareCoco(options(data, a, []))).toEqual(p);
  });

  it('an image whose JPEG is not the size its instances give is one line naming the file; a wrong-size zip of yours is named and kept', async () => {
    const where = mkdtempSync(join(dir, 'bad-'));
    const a = await archives(where, {
      valSizes: [
        [W, H],
        [W + 1, H],
        [W, H],
      ],
    });
    const err = await prepareCoco(options(join(where, 'data'), a, [])).catch((e: Error) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/\/val2014\/COCO_val2014_201\.jpg: 13x8, but \S+instances_val2014\.json gives image 201 as 12x8$/);

    const o = options(join(where, 'data2'), a, []);
    o.sources!.train = { bytes: a.bytes.train + 5 };
    await expect(prepareCoco(o)).rejects.toThrow(`${a.files.train}: ${a.bytes.train} bytes, but train2014.zip has ${a.bytes.train + 5}`);
    expect(existsSync(a.files.train)).toBe(true);
    expect(readdirSync(where).sort()).toEqual(['ann.zip', 'data', 'data2', 'train.zip', 'val.zip']);
  });
});
