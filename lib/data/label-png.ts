// Label maps as PNG files. VOC's SegmentationClass PNGs store the class id as the palette index,
// and sharp or pngjs expand palettes to RGBA (colours would have to be mapped back to classes), so
// decoding goes through fast-png, which keeps the indices; grayscale (SegmentationClassAug) too.
// The encoder stays ours: its bytes (Up filter, zlib level 9) are part of every dataset artifact's
// content hash, and fast-png's would differ.

import { readFile, writeFile } from 'node:fs/promises';
import { crc32, deflateSync } from 'node:zlib';
import { decode } from 'fast-png';
import type { Map8 } from '../types.ts';
import { VOID_LABEL } from '../types.ts';
import type { Rgb } from './palette.ts';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export class LabelPngError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'LabelPngError';
  }
}

export interface IndexedPng extends Map8 {
  /** 0 grayscale, 3 palette (the only two forms a label PNG may take) */
  colorType: 0 | 3;
  bitDepth: number;
  /** PLTE entries when colorType is 3 */
  palette: Rgb[] | null;
}

/**
 * Decode a grayscale or palette PNG to its raw sample values (palette indices stay indices).
 * `name` is used in error messages only.
 */
export function decodeIndexedPng(buf: Uint8Array, name = '<buffer>'): IndexedPng {
  if (buf.length < 8 || !Buffer.from(buf.buffer, buf.byteOffset, Math.min(8, buf.byteLength)).equals(SIGNATURE)) {
    throw new LabelPngError(name, 'not a PNG file (bad signature)');
  }
  let png: ReturnType<typeof decode>;
  try {
    png = decode(buf, { checkCrc: true });
  } catch (err) {
    const why = (err as Error).message;
    throw new LabelPngError(name, /CRC/.test(why) ? `${why} (corrupt file)` : `truncated or corrupt PNG (${why})`);
  }
  const { width, height, depth: bitDepth, channels } = png;
  if (channels !== 1) {
    const kind = channels >= 3 ? 'RGB' : 'gray+alpha';
    throw new LabelPngError(
      name,
      `label PNG is ${kind} (${channels} channels); expected palette or grayscale class ids, and class ids are never guessed from colours`,
    );
  }
  if (bitDepth > 8) throw new LabelPngError(name, `unsupported bit depth ${bitDepth} for a label PNG (expected <= 8)`);
  if (width === 0 || height === 0) throw new LabelPngError(name, 'empty image');
  const palette = png.palette ? png.palette.map((c) => [c[0], c[1], c[2]] as Rgb) : null;
  const packed = png.data as Uint8Array;
  let data: Uint8Array;
  if (bitDepth === 8) data = packed;
  else {
    // below 8 bits, samples stay packed in bytes, rows padded to whole bytes
    data = new Uint8Array(width * height);
    const stride = Math.ceil((width * bitDepth) / 8);
    const perByte = 8 / bitDepth;
    const mask = (1 << bitDepth) - 1;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const byte = packed[y * stride + Math.floor(x / perByte)];
        data[y * width + x] = (byte >> (8 - bitDepth * ((x % perByte) + 1))) & mask;
      }
    }
  }
  return { width, height, data, colorType: palette ? 3 : 0, bitDepth, palette };
}

export interface LabelCheck {
  /** largest class id allowed besides the void label: the dataset's class count minus one */
  maxClass: number;
}

/** Throw, naming the file, the value and where it sits, if a label is outside 0..maxClass and 255. */
export function checkLabels(map: Map8, file: string, opts: LabelCheck): void {
  const { maxClass } = opts;
  const d = map.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v > maxClass && v !== VOID_LABEL) {
      let count = 0;
      for (let j = i; j < d.length; j++) if (d[j] > maxClass && d[j] !== VOID_LABEL) count++;
      const x = i % map.width;
      const y = Math.floor(i / map.width);
      throw new LabelPngError(
        file,
        `label value ${v} at (x=${x}, y=${y}) is outside 0..${maxClass} and ${VOID_LABEL} ` + `(${count} such pixel${count === 1 ? '' : 's'})`,
      );
    }
  }
}

/** Read a VOC label PNG (palette or grayscale form) as class ids; values are checked. */
export async function readLabelPng(path: string, opts: LabelCheck): Promise<Map8> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    throw new LabelPngError(path, `cannot read label PNG (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const png = decodeIndexedPng(buf, path);
  const map: Map8 = { width: png.width, height: png.height, data: png.data };
  checkLabels(map, path, opts);
  return map;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE(crc32(data, crc32(head.subarray(4))), 0);
  return Buffer.concat([head, data, tail]);
}

function encodeSingleChannel(map: Map8, colorType: 0 | 3, palette?: readonly Rgb[]): Buffer {
  const { width, height, data } = map;
  if (data.length !== width * height) {
    throw new Error(`map data has ${data.length} bytes, expected ${width}x${height}`);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = colorType;
  // "Up" filtering suits label maps: most rows repeat the row above, so they deflate to almost nothing
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) {
    const o = y * (width + 1);
    raw[o] = y === 0 ? 0 : 2;
    for (let x = 0; x < width; x++) {
      const v = data[y * width + x];
      raw[o + 1 + x] = y === 0 ? v : (v - data[(y - 1) * width + x]) & 0xff;
    }
  }
  const parts = [SIGNATURE, chunk('IHDR', ihdr)];
  if (colorType === 3) {
    const pal = palette ?? [];
    const plte = Buffer.alloc(256 * 3);
    for (let i = 0; i < 256; i++) {
      const c = pal[i] ?? [0, 0, 0];
      plte[i * 3] = c[0];
      plte[i * 3 + 1] = c[1];
      plte[i * 3 + 2] = c[2];
    }
    parts.push(chunk('PLTE', plte));
  }
  parts.push(chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/** Encode a label map as an 8-bit palette PNG (VOC SegmentationClass form). Deterministic bytes. */
export function encodePalettePng(map: Map8, palette: readonly Rgb[]): Buffer {
  return encodeSingleChannel(map, 3, palette);
}

/** Encode a label map as an 8-bit grayscale PNG of raw ids (SegmentationClassAug form). */
export function encodeGrayPng(map: Map8): Buffer {
  return encodeSingleChannel(map, 0);
}

export async function writePalettePng(path: string, map: Map8, palette: readonly Rgb[]): Promise<void> {
  await writeFile(path, encodePalettePng(map, palette));
}

export async function writeGrayPng(path: string, map: Map8): Promise<void> {
  await writeFile(path, encodeGrayPng(map));
}
