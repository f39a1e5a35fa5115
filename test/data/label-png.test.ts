import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeIndexedPng, encodeGrayPng, encodePalettePng, readLabelPng, writePalettePng } from '../../lib/data/label-png.ts';
import { colorizeLabels, vocPalette } from '../../lib/data/palette.ts';
import { Rng } from '../../lib/data/prng.ts';
import { removeDir, tempDir } from './helpers.ts';
import { VOC_PHOTO_PNG } from '../fixtures/voc-photo.ts';
import { VOC_CLASSES } from '../../lib/types.ts';

const REAL_PNG = VOC_PHOTO_PNG;

let dir: string;
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(async () => removeDir(dir));

function randomLabels(w: number, h: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  const d = new Uint8Array(w * h);
  // blocky regions plus scattered void, like a real label map
  for (let i = 0; i < d.length; i++) d[i] = rng.chance(0.1) ? 255 : rng.int(0, 20);
  return d;
}

/** hand-built PNG with a chosen bit depth and filter per row, to exercise every unfilter path */
function buildPng(w: number, h: number, bitDepth: number, colorType: number, rows: Uint8Array[], filters: number[]): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colorType;
  const stride = rows[0].length;
  const raw: number[] = [];
  const paeth = (a: number, b: number, c: number) => {
    const p = a + b - c;
    const pa = Math.abs(p - a),
      pb = Math.abs(p - b),
      pc = Math.abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
  };
  rows.forEach((row, y) => {
    const f = filters[y % filters.length];
    raw.push(f);
    const up = y > 0 ? rows[y - 1] : new Uint8Array(stride);
    for (let x = 0; x < stride; x++) {
      const a = x > 0 ? row[x - 1] : 0;
      const b = up[x];
      const c = x > 0 ? up[x - 1] : 0;
      const pred = f === 0 ? 0 : f === 1 ? a : f === 2 ? b : f === 3 ? (a + b) >> 1 : paeth(a, b, c);
      raw.push((row[x] - pred) & 0xff);
    }
  });
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)];
  if (colorType === 3) parts.push(chunk('PLTE', Buffer.alloc(16 * 3, 7)));
  parts.push(chunk('IDAT', deflateSync(Buffer.from(raw))), chunk('IEND', Buffer.alloc(0)));
  return Buffer.concat(parts);
}

describe('label PNG reader', () => {
  it('reads the real grayscale VOC label map with the expected classes and pixel counts', async () => {
    const map = await readLabelPng(REAL_PNG, { maxClass: VOC_CLASSES.length - 1 });
    expect([map.width, map.height]).toEqual([334, 500]);
    const counts = new Map<number, number>();
    for (const v of map.data) counts.set(v, (counts.get(v) ?? 0) + 1);
    // counts published with the fixture (test/fixtures/voc-2007_000129/README.md)
    expect(Object.fromEntries(counts)).toEqual({ 0: 54389, 2: 34183, 15: 61143, 255: 17285 });
  });

  it('agrees with an independent decoder (pngjs) on the real grayscale file', async () => {
    const buf = await readFile(REAL_PNG);
    const ref = PNG.sync.read(buf);
    const mine = decodeIndexedPng(buf);
    expect(mine.colorType).toBe(0);
    for (let i = 0; i < mine.data.length; i++) {
      if (mine.data[i] !== ref.data[i * 4]) throw new Error(`pixel ${i}: ${mine.data[i]} vs ${ref.data[i * 4]}`);
    }
  });

  it('palette PNG round trip keeps indices, and the palette decodes to VOC colours elsewhere', async () => {
    const w = 37;
    const h = 23;
    const data = randomLabels(w, h, 3);
    const file = join(dir, 'pal.png');
    await writePalettePng(file, { width: w, height: h, data }, vocPalette());
    const back = await readLabelPng(file, { maxClass: VOC_CLASSES.length - 1 });
    expect(back.width).toBe(w);
    expect(back.height).toBe(h);
    expect(Buffer.from(back.data).equals(Buffer.from(data))).toBe(true);
    // a decoder that expands palettes (sharp) sees the VOC colours, i.e. the file is a real palette PNG
    const { data: rgb } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const expected = colorizeLabels({ width: w, height: h, data });
    expect(Buffer.from(rgb).equals(Buffer.from(expected.data))).toBe(true);
    const decoded = decodeIndexedPng(await readFile(file));
    expect(decoded.colorType).toBe(3);
    expect(decoded.palette?.[15]).toEqual([192, 128, 128]); // person
    expect(decoded.palette?.[255]).toEqual([224, 224, 192]); // void
  });

  it('undoes all five filter types and bit depths 8, 4, 2 and 1', () => {
    const w = 13;
    const h = 10;
    const rng = new Rng(11);
    for (const depth of [8, 4, 2, 1]) {
      const maxV = (1 << depth) - 1;
      const values = Array.from({ length: h }, () => Array.from({ length: w }, () => rng.int(0, maxV)));
      const perByte = 8 / depth;
      const rows = values.map((vals) => {
        const row = new Uint8Array(Math.ceil(w / perByte));
        vals.forEach((v, x) => {
          row[Math.floor(x / perByte)] |= v << (8 - depth * ((x % perByte) + 1));
        });
        return row;
      });
      for (const colorType of [0, 3]) {
        const png = decodeIndexedPng(buildPng(w, h, depth, colorType, rows, [0, 1, 2, 3, 4]));
        expect(Array.from(png.data)).toEqual(values.flat());
      }
    }
  });

  it('reads grayscale PNGs written by pngjs with adaptive filtering', () => {
    const w = 40;
    const h = 30;
    const data = randomLabels(w, h, 5);
    const png = new PNG({ width: w, height: h, colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
    png.data = Buffer.from(data);
    const buf = PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false, filterType: -1 });
    expect(Array.from(decodeIndexedPng(buf).data)).toEqual(Array.from(data));
    // and our own grayscale writer
    expect(Array.from(decodeIndexedPng(encodeGrayPng({ width: w, height: h, data })).data)).toEqual(Array.from(data));
  });

  it('rejects a label outside 0..20 and 255, naming the file and the value', async () => {
    const data = new Uint8Array(6 * 4);
    data[9] = 21;
    data[10] = 21;
    const file = join(dir, 'bad-label.png');
    await writeFile(file, encodeGrayPng({ width: 6, height: 4, data }));
    await expect(readLabelPng(file, { maxClass: VOC_CLASSES.length - 1 })).rejects.toThrow(/bad-label\.png: label value 21 at \(x=3, y=1\).*2 such pixels/);
  });

  it('refuses RGB label images instead of guessing classes from colours', async () => {
    const file = join(dir, 'rgb.png');
    await sharp(Buffer.alloc(4 * 4 * 3, 128), { raw: { width: 4, height: 4, channels: 3 } })
      .png()
      .toFile(file);
    await expect(readLabelPng(file, { maxClass: VOC_CLASSES.length - 1 })).rejects.toThrow(/rgb\.png: label PNG is RGB/);
  });

  it('reports corrupt and missing files by name', async () => {
    const good = encodePalettePng({ width: 8, height: 8, data: new Uint8Array(64) }, vocPalette());
    const flipped = Buffer.from(good);
    flipped[good.length - 20] ^= 0xff; // inside the IDAT payload
    const file = join(dir, 'corrupt.png');
    await writeFile(file, flipped);
    await expect(readLabelPng(file, { maxClass: VOC_CLASSES.length - 1 })).rejects.toThrow(/corrupt\.png: CRC mismatch for chunk IDAT/);
    await writeFile(join(dir, 'short.png'), good.subarray(0, 40));
    await expect(readLabelPng(join(dir, 'short.png'), { maxClass: VOC_CLASSES.length - 1 })).rejects.toThrow(/short\.png: truncated/);
    await expect(readLabelPng(join(dir, 'nope.png'), { maxClass: VOC_CLASSES.length - 1 })).rejects.toThrow(/nope\.png: cannot read label PNG \(ENOENT\)/);
  });

  it('writes identical bytes for identical maps', () => {
    const data = randomLabels(20, 20, 9);
    const a = encodePalettePng({ width: 20, height: 20, data }, vocPalette());
    const b = encodePalettePng({ width: 20, height: 20, data: Uint8Array.from(data) }, vocPalette());
    expect(a.equals(b)).toBe(true);
  });
});
