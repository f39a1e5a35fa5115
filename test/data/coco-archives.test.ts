// The COCO 2014 download table is well-formed, and its content checks (size, the image zip's
// entries, the instances file's counts) pass on what is right and name what is wrong. No network.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkArchiveSize, checkImageEntries, checkInstanceCounts, COCO_2014, COCO_2014_ANNOTATIONS, coco2014Archives } from '../../lib/data/coco/archives.ts';
import { withMirror } from '../../lib/data/mirrors.ts';

const dir = mkdtempSync(join(tmpdir(), 'dcsp-coco-archives-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('COCO 2014 downloads', () => {
  it('pins three distinct files by URL, file name and exact size, with no checksum (none is published)', () => {
    const all = coco2014Archives();
    expect(all.map((a) => a.filename)).toEqual(['annotations_trainval2014.zip', 'train2014.zip', 'val2014.zip']);
    expect(new Set(all.map((a) => a.url)).size).toBe(3);
    for (const a of all) {
      const url = new URL(a.url);
      expect(url.host).toBe('images.cocodataset.org');
      expect(posix.basename(url.pathname)).toBe(a.filename);
      expect(Number.isSafeInteger(a.bytes) && a.bytes > 0).toBe(true);
      expect(a.md5).toBeUndefined();
    }
    // the published sizes: 13.5 GB, 6.6 GB, 253 MB; together about 20 GB
    expect(COCO_2014.train.images.bytes).toBe(13_510_573_713);
    expect(COCO_2014.val.images.bytes).toBe(6_645_013_297);
    expect(COCO_2014_ANNOTATIONS.bytes).toBe(252_872_794);
  });

  it("describes each split's content: its folder, image count, instances file and the WSSS count", () => {
    for (const [name, split] of Object.entries(COCO_2014)) {
      expect(split.images.filename).toBe(`${split.folder}.zip`);
      expect(split.folder).toBe(`${name}2014`);
      expect(split.instances).toBe(`annotations/instances_${split.folder}.json`);
      expect(split.annotatedCount).toBeLessThanOrEqual(split.imageCount);
    }
    expect([COCO_2014.train.imageCount, COCO_2014.train.annotatedCount, COCO_2014.val.imageCount, COCO_2014.val.annotatedCount]).toEqual([
      82_783, 82_081, 40_504, 40_137,
    ]);
  });

  it('takes a mirror with its own checksum ($DCSP_MIRRORS)', () => {
    const file = join(dir, 'mirrors.json');
    writeFileSync(file, JSON.stringify({ [COCO_2014.val.images.url]: { url: 'http://127.0.0.1:9/val2014.zip', md5: 'b'.repeat(32) } }));
    expect(withMirror(COCO_2014.val.images, { DCSP_MIRRORS: file })).toMatchObject({
      url: 'http://127.0.0.1:9/val2014.zip',
      md5: 'b'.repeat(32),
      bytes: 6_645_013_297,
    });
    expect(withMirror(COCO_2014.train.images, { DCSP_MIRRORS: file })).toBe(COCO_2014.train.images);
  });

  it('checks a file against its pinned size', async () => {
    const file = join(dir, 'annotations_trainval2014.zip');
    writeFileSync(file, 'short');
    await expect(checkArchiveSize(file, COCO_2014_ANNOTATIONS)).rejects.toThrow(
      /: 5 bytes, but annotations_trainval2014\.zip has 252872794 \(a partial or different file\?\)$/,
    );
    await expect(checkArchiveSize(file, { ...COCO_2014_ANNOTATIONS, bytes: 5 })).resolves.toBeUndefined();
  });

  it("checks an image zip's entries and an instances file's counts, naming what is off", () => {
    const split = { ...COCO_2014.val, imageCount: 3, annotatedCount: 2 };
    const names = ['COCO_val2014_000000000042.jpg', 'COCO_val2014_000000000073.jpg', 'COCO_val2014_000000000074.jpg'];
    const entries = ['val2014/', ...names.map((n) => `val2014/${n}`), 'val2014/readme.txt', 'other/x.jpg'];
    expect(() => checkImageEntries('val2014.zip', entries, split, names)).not.toThrow();
    expect(() => checkImageEntries('val2014.zip', entries.slice(0, 3), split, names)).toThrow(
      'val2014.zip: images of annotations/instances_val2014.json missing from val2014/: COCO_val2014_000000000074.jpg',
    );
    expect(() => checkImageEntries('val2014.zip', [...entries, 'val2014/extra.jpg'], split, names)).toThrow('val2014.zip: 4 JPEGs in val2014/, expected 3');
    expect(() => checkInstanceCounts('instances_val2014.json', split, 3, 2)).not.toThrow();
    expect(() => checkInstanceCounts('instances_val2014.json', split, 4, 2)).toThrow(/4 images, expected 3/);
    expect(() => checkInstanceCounts('instances_val2014.json', split, 3, 3)).toThrow(/3 images with an annotation, expected 2 \(the WSSS protocol's count\)/);
  });
});
