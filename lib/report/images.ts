// Pictures as data: URIs (PNG through sharp), so the report is one file that opens anywhere.
// Large images are scaled down first: a VOC photo at full size would make a 16-row figure weigh
// megabytes; label maps are scaled with nearest neighbour so no colour appears that is not a class.
import sharp from 'sharp';
import type { RgbImage } from '../types.ts';

export type PictureKind = 'photo' | 'labels' | 'heat';

export interface EncodeOptions {
  /** longest side in pixels after scaling down (never scaled up: the browser does that) */
  maxSide?: number;
}

export async function pngDataUri(img: RgbImage, kind: PictureKind, opts: EncodeOptions = {}): Promise<string> {
  if (img.data.length !== img.width * img.height * 3) throw new Error(`picture: ${img.data.length} bytes for ${img.width}x${img.height} RGB`);
  const maxSide = opts.maxSide ?? 256;
  let pipe = sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), {
    raw: { width: img.width, height: img.height, channels: 3 },
  });
  const longest = Math.max(img.width, img.height);
  if (longest > maxSide) {
    const f = maxSide / longest;
    pipe = pipe.resize(Math.max(1, Math.round(img.width * f)), Math.max(1, Math.round(img.height * f)), {
      kernel: kind === 'labels' ? 'nearest' : 'lanczos3',
      fit: 'fill',
    });
  }
  // maps have at most 256 colours (a colour map or a palette): an indexed PNG holds them exactly
  const png = kind === 'photo' ? pipe.png({ compressionLevel: 9 }) : pipe.png({ palette: true, colours: 256, dither: 0, compressionLevel: 9 });
  const buf = await png.toBuffer();
  return `data:image/png;base64,${buf.toString('base64')}`;
}
