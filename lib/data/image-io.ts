// RGB image IO through sharp (libvips). Everything is 8-bit sRGB, 3 channels, HWC. EXIF orientation
// is deliberately ignored: label maps are stored in the sensor orientation, and rotating only the
// photo would misalign the two.

import sharp from 'sharp';
import type { RgbImage } from '../types.ts';

export class ImageFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'ImageFileError';
  }
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT' || /Input file is missing/.test(e?.message ?? '')) return 'file not found';
  return e?.message ?? String(err);
}

function checkRgb(img: RgbImage): void {
  if (img.data.length !== img.width * img.height * 3) {
    throw new Error(`RgbImage data has ${img.data.length} bytes, expected ${img.width}x${img.height}x3`);
  }
}

function rawInput(img: RgbImage) {
  checkRgb(img);
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } });
}

/** Decode any image sharp understands (JPEG, PNG, ...) to 8-bit RGB. Errors name the file. */
export async function decodeRgb(input: string | Uint8Array, name?: string): Promise<RgbImage> {
  const file = name ?? (typeof input === 'string' ? input : '<buffer>');
  try {
    const { data, info } = await sharp(input, { failOn: 'error' }).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (err) {
    throw new ImageFileError(file, `cannot decode image (${reason(err)})`);
  }
}

export function readRgb(path: string): Promise<RgbImage> {
  return decodeRgb(path, path);
}

/** Width and height from the file header only (cheap; catches missing and non-image files). */
export async function readImageSize(path: string): Promise<{ width: number; height: number }> {
  try {
    const meta = await sharp(path).metadata();
    if (!meta.width || !meta.height) throw new Error('no dimensions in header');
    return { width: meta.width, height: meta.height };
  } catch (err) {
    throw new ImageFileError(path, `cannot read image header (${reason(err)})`);
  }
}

export function encodeJpeg(img: RgbImage, quality = 90): Promise<Buffer> {
  // no chroma subsampling: toy images are small and colour edges matter for saliency
  return rawInput(img).jpeg({ quality, chromaSubsampling: '4:4:4', mozjpeg: false }).toBuffer();
}

export function encodePng(img: RgbImage): Promise<Buffer> {
  return rawInput(img).png({ compressionLevel: 9 }).toBuffer();
}

export async function writeJpeg(path: string, img: RgbImage, quality = 90): Promise<void> {
  await rawInput(img).jpeg({ quality, chromaSubsampling: '4:4:4', mozjpeg: false }).toFile(path);
}

export async function writePng(path: string, img: RgbImage): Promise<void> {
  await rawInput(img).png({ compressionLevel: 9 }).toFile(path);
}

export type ResizeKernel = 'nearest' | 'linear' | 'cubic' | 'lanczos3';

/** Resize an RGB image to exactly width x height (aspect not preserved). */
export async function resizeRgb(img: RgbImage, width: number, height: number, kernel: ResizeKernel = 'linear'): Promise<RgbImage> {
  const { data, info } = await rawInput(img).resize(width, height, { fit: 'fill', kernel }).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}
