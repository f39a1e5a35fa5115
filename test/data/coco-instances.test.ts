// lib/data/coco without pycocotools: the instances file's checks (one line naming the item), the
// compressed counts format on values pycocotools produced, a polygon pycocotools rasterised, the
// overlap rule and the tags, and the WSSS image filter.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../lib/errors.ts';
import { Rng } from '../../lib/data/prng.ts';
import { annotatedImages, parseCocoInstances, readCocoInstances, type CocoInstances } from '../../lib/data/coco/instances.ts';
import { cocoClasses, cocoImageLabels } from '../../lib/data/coco/label-map.ts';
import { polygonToRle } from '../../lib/data/coco/polygon.ts';
import { countsFromString } from '../../lib/data/coco/rle.ts';
import { segmentationMask } from '../../lib/data/coco/segmentation.ts';
import { cocoFixture, countsToString, EMPTY_IMAGE } from './coco-fixture.ts';

const dir = mkdtempSync(join(tmpdir(), 'dcsp-coco-instances-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const square = (x0: number, y0: number, x1: number, y1: number) => [[x0, y0, x1, y0, x1, y1, x0, y1]];

/** A 4 x 3 image with two categories, edited per case. */
type Item = Record<string, unknown>;
interface Small {
  images: Item[];
  categories: Item[];
  annotations?: Item[];
}

function small(edit: (j: Required<Small>) => void = () => {}): Small {
  const json: Required<Small> = {
    images: [{ id: 5, width: 4, height: 3, file_name: 'a.jpg' }],
    categories: [
      { id: 9, name: 'dog' },
      { id: 2, name: 'cat' },
    ],
    annotations: [
      { id: 1, image_id: 5, category_id: 9, iscrowd: 0, area: 6, segmentation: square(-0.5, -0.5, 2.5, 1.5) },
      { id: 2, image_id: 5, category_id: 2, iscrowd: 1, area: 2, segmentation: { size: [3, 4], counts: [4, 2, 6] } },
    ],
  };
  edit(json);
  return json;
}

const parse = (json: unknown): CocoInstances => parseCocoInstances(json, 'inst.json');
const refused = (edit: (j: Required<Small>) => void): string => {
  try {
    parse(small(edit));
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as Error).message;
  }
  throw new Error('accepted');
};

describe('COCO instances file', () => {
  it('reads images, categories and annotations into typed records', () => {
    const inst = parse(small());
    expect(inst.images).toEqual([{ id: 5, width: 4, height: 3, fileName: 'a.jpg' }]);
    expect(inst.annotations[1]).toEqual({
      id: 2,
      imageId: 5,
      categoryId: 2,
      iscrowd: true,
      area: 2,
      segmentation: { kind: 'rle', height: 3, width: 4, counts: [4, 2, 6] },
    });
  });

  it('refuses bad input with one line naming the file and the item', () => {
    expect(refused((j) => j.images.push({ id: 5, width: 1, height: 1, file_name: 'b.jpg' }))).toBe('inst.json: images[1]: duplicate image id 5');
    expect(refused((j) => (j.images[0].width = 0))).toMatch(/^inst\.json: images\[0\] \(id 5\): width 0 \/ height 3 are not positive integers$/);
    expect(refused((j) => j.categories.push({ id: 3, name: 'dog' }))).toBe("inst.json: categories[2]: duplicate category name 'dog'");
    expect(refused((j) => (j.annotations[0].image_id = 6))).toBe('inst.json: annotations[0] (id 1): image_id 6 names no image of the file');
    expect(refused((j) => (j.annotations[1].category_id = 4))).toBe('inst.json: annotations[1] (id 2): category_id 4 names no category of the file');
    expect(refused((j) => (j.annotations[1].id = 1))).toBe('inst.json: annotations[1]: duplicate annotation id 1');
    expect(refused((j) => (j.annotations[0].iscrowd = 2))).toMatch(/annotations\[0\] \(id 1\): iscrowd 2 is not 0 or 1/);
    expect(refused((j) => (j.annotations[0].segmentation = [[0, 0, 1, 1, 2]]))).toBe(
      'inst.json: annotations[0] (id 1): segmentation[0]: 5 numbers, not x, y pairs',
    );
    expect(refused((j) => (j.annotations[0].segmentation = [[0, 0, 3, 3]]))).toMatch(/segmentation\[0\]: 2 point\(s\): too few for a polygon/);
    expect(refused((j) => (j.annotations[0].segmentation = []))).toMatch(/\(id 1\): segmentation: an empty list of polygons/);
    expect(refused((j) => (j.annotations[0].segmentation = [[-0.5, -0.5, 2.5, 1e6, 2.5, 1.5]]))).toMatch(
      /segmentation\[0\]\[3\]: 1000000 is not a coordinate in -16\.\.16 \(4x the image's larger side\)$/,
    );
    expect(refused((j) => (j.annotations[1].segmentation = { size: [4, 3], counts: [12] }))).toMatch(
      /\(id 2\): segmentation: size \[4,3\] is not the image's \[height, width\] \[3, 4\]/,
    );
    expect(refused((j) => (j.annotations[1].segmentation = { size: [3, 4], counts: [4, 2, 5] }))).toMatch(
      /\(id 2\): segmentation: the run lengths add up to 11, not the image's 12 pixels/,
    );
    expect(refused((j) => delete (j as Small).annotations)).toBe('inst.json: annotations: missing or not a list');
  });

  it('names the file that is not JSON', async () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{ "images": [');
    await expect(readCocoInstances(file)).rejects.toThrow(new RegExp(`^${file}: cannot read it as JSON`));
  });
});

describe('compressed RLE counts', () => {
  it('decodes strings pycocotools wrote (mask.encode of a 6x6 identity, frPyObjects of [3, 4, 29])', () => {
    expect([...countsFromString('34m0', 'x')]).toEqual([3, 4, 29]);
    const eye = [...countsFromString('016000000000', 'x')];
    expect(eye).toEqual([0, 1, 6, 1, 6, 1, 6, 1, 6, 1, 6, 1]);
    const mask = segmentationMask({ kind: 'compressed-rle', height: 6, width: 6, counts: '016000000000' }, 6, 6, 'x');
    expect([...mask.data]).toEqual(Array.from({ length: 36 }, (_, i) => (i % 7 === 0 ? 1 : 0)));
  });

  it('round-trips large runs and negative differences', () => {
    const rng = new Rng(7);
    for (let n = 0; n < 200; n++) {
      const counts = Array.from({ length: rng.int(1, 12) }, () => (rng.chance(0.3) ? rng.int(0, 3) : rng.int(0, 400_000)));
      expect([...countsFromString(countsToString(counts), 'x')]).toEqual(counts);
    }
  });

  it('refuses a bad character, a number cut off and a negative run, naming the annotation', () => {
    expect(() => countsFromString('3 4', 'a.json: annotation 7')).toThrow(/^a\.json: annotation 7: counts character ' ' at 1 is outside '0'\.\.'o'$/);
    expect(() => countsFromString('3P', 'w')).toThrow(/^w: the counts string ends inside a number$/);
    // the fourth run is written as 3 - 4 = -1 (a difference may be negative) ...
    expect([...countsFromString(countsToString([3, 4, 5, 3]), 'w')]).toEqual([3, 4, 5, 3]);
    // ... but a run may not: runs 3, 4, 0, then 4 - 10
    expect(() => countsFromString(`34${countsToString([0, 0, 0, -10]).slice(2)}`, 'w')).toThrow(/^w: run 3 of the counts string is negative \(-6\)$/);
    expect(() => segmentationMask({ kind: 'compressed-rle', height: 2, width: 2, counts: '3' }, 2, 2, 'w')).toThrow(
      /run lengths add up to 3, not the image's 4/,
    );
  });
});

describe('polygons', () => {
  it('rasterise as pycocotools does (frPyObjects of [[0.5, 0.5, 4.2, 0.7, 3.3, 4.9]] on 6x6)', () => {
    const rle = polygonToRle([0.5, 0.5, 4.2, 0.7, 3.3, 4.9], 6, 6);
    const mask = segmentationMask({ kind: 'rle', height: 6, width: 6, counts: [...(rle.counts as number[])] }, 6, 6, 'x');
    const rows = Array.from({ length: 6 }, (_, y) => [...mask.data.subarray(y * 6, y * 6 + 6)].join(''));
    expect(rows).toEqual(['000000', '011100', '001100', '000100', '000000', '000000']);
  });
});

describe('label maps', () => {
  it('numbers categories 1..N in id order, paints the smallest area first and lets it keep its pixels, crowd included', () => {
    const inst = parse(small());
    const classes = cocoClasses(inst);
    expect(classes.names).toEqual(['cat', 'dog']);
    const { labels, tags } = cocoImageLabels(inst.images[0], inst.annotations, classes);
    // dog (class 2): the square over x 0..2, y 0..1; cat (class 1, crowd, area 2): column 1, rows 1..2
    const rows = Array.from({ length: 3 }, (_, y) => [...labels.data.subarray(y * 4, y * 4 + 4)].join(''));
    expect(rows).toEqual(['2220', '2120', '0100']);
    expect(tags).toEqual([1, 2]);
    // with the areas swapped the dog square wins where they overlap
    const swapped = parse(small((j) => (j.annotations[1].area = 7)));
    const again = cocoImageLabels(swapped.images[0], swapped.annotations, classes);
    expect(Array.from({ length: 3 }, (_, y) => [...again.labels.data.subarray(y * 4, y * 4 + 4)].join(''))).toEqual(['2220', '2220', '0100']);
  });

  it('equal areas: the file order decides', () => {
    const tie = parse(small((j) => (j.annotations[1].area = 6)));
    const classes = cocoClasses(tie);
    const first = cocoImageLabels(tie.images[0], tie.annotations, classes).labels.data[5];
    const reversed = parse(
      small((j) => {
        j.annotations[1].area = 6;
        j.annotations.reverse();
      }),
    );
    expect([first, cocoImageLabels(reversed.images[0], reversed.annotations, classes).labels.data[5]]).toEqual([2, 1]);
  });

  it('keeps only images with an annotation (the WSSS filter)', () => {
    const fixture = cocoFixture(1);
    const kept = annotatedImages(parse(fixture));
    expect(kept.map((i) => i.id)).toEqual(fixture.images.filter((_, i) => i !== EMPTY_IMAGE).map((i) => i.id));
  });

  it('refuses more categories than a label map can hold', () => {
    const many = { ...small(), categories: Array.from({ length: 255 }, (_, i) => ({ id: i + 1, name: `c${i}` })) };
    expect(() => cocoClasses(parseCocoInstances({ ...many, annotations: [] }, 'm.json'))).toThrow(
      /^m\.json: 255 categories; label maps hold at most 254 classes$/,
    );
  });
});
