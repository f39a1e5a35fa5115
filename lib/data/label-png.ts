// Label maps as PNG files. Decoders such as sharp or pngjs expand palette PNGs to RGBA, which would
// force us to map colours back to classes; VOC's SegmentationClass PNGs store the class id as the
// palette index, so this reader parses the chunks itself and keeps the raw index (palette or
// grayscale form, both 0..20 with 255 void).

import { readFile, writeFile } from 'node:fs/promises';
import { deflateSync, inflateSync } from 'node:zlib';
import type { Map8 } from '../types.ts';
import { VOID_LABEL } from '../types.ts';
import type { Rgb } from './palette.ts';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bufs: Uint8Array[]): number {
  let c = 0xffffffff;
  for (const buf of bufs) {
    for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

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

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

/**
 * Decode a grayscale or palette PNG to its raw sample values (palette indices stay indices).
 * `name` is used in error messages only.
 */
export function decodeIndexedPng(buf: Uint8Array, name = '<buffer>'): IndexedPng {
  const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (bytes.length < 8 || !bytes.subarray(0, 8).equals(SIGNATURE)) {
    throw new LabelPngError(name, 'not a PNG file (bad signature)');
  }
  let pos = 8;
  let width = 0;
  let height = 0;
  let bitDepth = 0;
  let colorType = -1;
  let interlace = 0;
  let palette: Rgb[] | null = null;
  const idat: Buffer[] = [];
  let sawEnd = false;
  while (pos < bytes.length) {
    if (pos + 12 > bytes.length) throw new LabelPngError(name, 'truncated chunk header');
    const len = bytes.readUInt32BE(pos);
    const type = bytes.toString('latin1', pos + 4, pos + 8);
    if (pos + 12 + len > bytes.length) throw new LabelPngError(name, `truncated ${type} chunk`);
    const data = bytes.subarray(pos + 8, pos + 8 + len);
    const crc = bytes.readUInt32BE(pos + 8 + len);
    if (crc32([bytes.subarray(pos + 4, pos + 8), data]) !== crc) {
      throw new LabelPngError(name, `CRC mismatch in ${type} chunk (corrupt file)`);
    }
    pos += 12 + len;
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      bitDepth = data[8];
      colorType = data[9];
      interlace = data[12];
    } else if (type === 'PLTE') {
      palette = [];
      for (let i = 0; i + 2 < data.length; i += 3) palette.push([data[i], data[i + 1], data[i + 2]]);
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      sawEnd = true;
      break;
    }
  }
  if (width === 0 || height === 0) throw new LabelPngError(name, 'missing or empty IHDR');
  if (!sawEnd) throw new LabelPngError(name, 'truncated file (no IEND chunk)');
  if (colorType !== 0 && colorType !== 3) {
    const kind = colorType === 2 || colorType === 6 ? 'RGB' : 'gray+alpha';
    throw new LabelPngError(
      name,
      `label PNG is ${kind} (color type ${colorType}); expected palette or grayscale class ids, ` +
        'and class ids are never guessed from colours',
    );
  }
  if (![1, 2, 4, 8].includes(bitDepth)) {
    throw new LabelPngError(name, `unsupported bit depth ${bitDepth} for a label PNG (expected <= 8)`);
  }
  if (interlace !== 0) throw new LabelPngError(name, 'interlaced label PNGs are not supported');
  if (colorType === 3 && !palette) throw new LabelPngError(name, 'palette PNG without PLTE chunk');

  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(idat));
  } catch (err) {
    throw new LabelPngError(name, `corrupt image data (${(err as Error).message})`);
  }
  const stride = Math.ceil((width * bitDepth) / 8);
  if (raw.length < (stride + 1) * height) {
    throw new LabelPngError(name, `image data too short: ${raw.length} bytes for ${width}x${height}`);
  }
  // filters operate on bytes; with <= 8-bit single-channel samples the "previous pixel" is 1 byte back
  const rows = new Uint8Array(stride * height);
  const prev = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const dst = y * stride;
    const up = y === 0 ? prev : rows.subarray(dst - stride, dst);
    for (let x = 0; x < stride; x++) {
      const v = raw[src + x];
      const left = x > 0 ? rows[dst + x - 1] : 0;
      const above = up[x];
      const corner = x > 0 ? up[x - 1] : 0;
      let out: number;
      switch (filter) {
        case 0: out = v; break;
        case 1: out = v + left; break;
        case 2: out = v + above; break;
        case 3: out = v + ((left + above) >> 1); break;
        case 4: out = v + paeth(left, above, corner); break;
        default: throw new LabelPngError(name, `bad filter type ${filter} on row ${y}`);
      }
      rows[dst + x] = out & 0xff;
    }
  }
  let data: Uint8Array;
  if (bitDepth === 8) {
    data = rows;
  } else {
    data = new Uint8Array(width * height);
    const perByte = 8 / bitDepth;
    const mask = (1 << bitDepth) - 1;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const byte = rows[y * stride + Math.floor(x / perByte)];
        const shift = 8 - bitDepth * ((x % perByte) + 1);
        data[y * width + x] = (byte >> shift) & mask;
      }
    }
  }
  return { width, height, data, colorType: colorType as 0 | 3, bitDepth, palette };
}

export interface LabelCheck {
  /** largest class id allowed besides the void label (default 20, the VOC classes) */
  maxClass?: number;
}

/** Throw, naming the file, the value and where it sits, if a label is outside 0..maxClass and 255. */
export function checkLabels(map: Map8, file: string, opts: LabelCheck = {}): void {
  const maxClass = opts.maxClass ?? 20;
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
        `label value ${v} at (x=${x}, y=${y}) is outside 0..${maxClass} and ${VOID_LABEL} ` +
          `(${count} such pixel${count === 1 ? '' : 's'})`,
      );
    }
  }
}

/** Read a VOC label PNG (palette or grayscale form) as class ids; values are checked. */
export async function readLabelPng(path: string, opts: LabelCheck = {}): Promise<Map8> {
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
  tail.writeUInt32BE(crc32([head.subarray(4), data]), 0);
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
