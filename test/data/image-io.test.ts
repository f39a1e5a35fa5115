import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRgb, encodeJpeg, readImageSize, readRgb, resizeRgb, writePng } from '../../lib/data/image-io.ts';
import { readVocLayout } from '../../lib/data/voc-layout.ts';
import { makeSmallToy, removeDir, tempDir } from './helpers.ts';
import { VOC_PHOTO_JPG } from '../fixtures/voc-photo.ts';

const REAL_JPG = VOC_PHOTO_JPG;

let dir: string;
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(async () => removeDir(dir));

describe('image IO', () => {
  it('decodes the real VOC photo to 8-bit RGB', async () => {
    const img = await readRgb(REAL_JPG);
    expect([img.width, img.height, img.data.length]).toEqual([334, 500, 334 * 500 * 3]);
    expect(await readImageSize(REAL_JPG)).toEqual({ width: 334, height: 500 });
    let sum = 0;
    for (const v of img.data) sum += v;
    const mean = sum / img.data.length;
    expect(mean).toBeGreaterThan(40); // a photo, not a blank buffer
    expect(mean).toBeLessThan(220);
  });

  it('PNG round trip is lossless; JPEG stays close; resize hits the size', async () => {
    const data = new Uint8Array(9 * 7 * 3).map((_, i) => (i * 37) % 256);
    const img = { width: 9, height: 7, data };
    const file = join(dir, 'x.png');
    await writePng(file, img);
    expect(Array.from((await readRgb(file)).data)).toEqual(Array.from(data));
    const smooth = { width: 32, height: 32, data: new Uint8Array(32 * 32 * 3).map((_, i) => (Math.floor(i / 3) % 32) * 8) };
    const back = await decodeRgb(await encodeJpeg(smooth, 95));
    let err = 0;
    for (let i = 0; i < back.data.length; i++) err += Math.abs(back.data[i] - smooth.data[i]);
    expect(err / back.data.length).toBeLessThan(4);
    const r = await resizeRgb(smooth, 16, 8);
    expect([r.width, r.height, r.data.length]).toEqual([16, 8, 16 * 8 * 3]);
  });

  it('names missing and corrupt image files', async () => {
    await expect(readRgb(join(dir, 'missing.jpg'))).rejects.toThrow(/missing\.jpg: cannot decode image \(file not found\)/);
    const jpeg = await readFile(REAL_JPG);
    await writeFile(join(dir, 'cut.jpg'), jpeg.subarray(0, 4000));
    await expect(readRgb(join(dir, 'cut.jpg'))).rejects.toThrow(/cut\.jpg: cannot decode image/);
    await writeFile(join(dir, 'text.jpg'), 'not an image');
    await expect(readImageSize(join(dir, 'text.jpg'))).rejects.toThrow(/text\.jpg: cannot read image header/);
  });

  it('the layout reader names listed images that are missing or unreadable', async () => {
    const root = await makeSmallToy(join(dir, 'toy'), { seed: 3, counts: { train: 4, val: 2, test: 0 }, minSize: 40, maxSize: 48 });
    await writeFile(join(root, 'ImageSets/Segmentation/val.txt'), 'val_000001\nval_000002\nghost_1\nghost_2\n');
    await expect(readVocLayout(root, { source: 'toy' })).rejects.toThrow(
      /JPEGImages\/ghost_1\.jpg: file not found \(val: 2 listed id\(s\) without JPEGImages\/<id>\.jpg: ghost_1, ghost_2\)/,
    );
    await writeFile(join(root, 'ImageSets/Segmentation/val.txt'), 'val_000001\nval_000002\n');
    await writeFile(join(root, 'JPEGImages/train_000002.jpg'), 'garbage');
    await expect(readVocLayout(root, { source: 'toy' })).rejects.toThrow(/train_000002\.jpg: cannot read image header/);
  });
});
