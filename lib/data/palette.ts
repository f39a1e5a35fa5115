// The PASCAL VOC colour map: entry i spreads the bits of i over the high bits of R, G and B, so the
// 21 class colours are well separated and index 255 (void) comes out as the familiar cream colour.

import type { Map8, RgbImage } from '../types.ts';

export type Rgb = [number, number, number];

let cached: Rgb[] | null = null;

/** The 256-entry VOC palette (index 0 black background, 1 maroon aeroplane, ..., 255 void). */
export function vocPalette(): Rgb[] {
  if (!cached) {
    const out: Rgb[] = [];
    for (let i = 0; i < 256; i++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let bits = i;
      // bit 0 of each 3-bit group goes to R, bit 1 to G, bit 2 to B, filling from bit 7 downwards
      for (let shift = 7; shift >= 0 && bits > 0; shift--) {
        r |= (bits & 1) << shift;
        g |= ((bits >> 1) & 1) << shift;
        b |= ((bits >> 2) & 1) << shift;
        bits >>= 3;
      }
      out.push([r, g, b]);
    }
    cached = out;
  }
  return cached.map((c) => [c[0], c[1], c[2]] as Rgb);
}

/** Label map to an RGB picture through a palette (for figures and reports). */
export function colorizeLabels(map: Map8, palette: readonly Rgb[] = vocPalette()): RgbImage {
  const data = new Uint8Array(map.width * map.height * 3);
  for (let i = 0; i < map.data.length; i++) {
    const c = palette[map.data[i]] ?? [0, 0, 0];
    data[i * 3] = c[0];
    data[i * 3 + 1] = c[1];
    data[i * 3 + 2] = c[2];
  }
  return { width: map.width, height: map.height, data };
}
