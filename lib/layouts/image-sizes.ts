// The sizes of a dataset's images, as the per-image network stages declare them for their batches
// (lib/contract/item-batches.ts): the executor puts images of one size in one forward pass.
// Apart from lib/layouts/dataset.ts, which nearly every stage imports: a stage's key follows the
// code it imports, and most stages need no image sizes.
import type { Dataset } from './dataset.ts';

/** an image's width and height in pixels */
export interface ImageSize {
  width: number;
  height: number;
}

/** headers read at once: enough to hide the file system's latency, few enough to keep descriptors */
const AT_ONCE = 16;

/** Each id's image size, in the order of `ids`, from the image headers (no decoding). */
export async function imageSizes(dataset: Dataset, ids: readonly string[]): Promise<ImageSize[]> {
  const { readImageSize } = await import('../data/image-io.ts');
  const out: ImageSize[] = new Array(ids.length);
  for (let i = 0; i < ids.length; i += AT_ONCE) {
    const part = await Promise.all(ids.slice(i, i + AT_ONCE).map((id) => readImageSize(dataset.imagePath(id))));
    part.forEach((s, k) => {
      out[i + k] = s;
    });
  }
  return out;
}
