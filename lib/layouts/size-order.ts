// The order in which a per-image network stage cuts its items into chunks: images of one size next
// to each other, so that its work can batch them through the network (lib/model/inference-batch.ts).
// Apart from lib/layouts/dataset.ts, which nearly every stage imports: a stage's key follows the
// code it imports, and this order changes no result.
import type { Dataset } from './dataset.ts';

/**
 * `ids` with images of one size together: sizes in order of first appearance, ids in their given
 * order within a size. Sizes come from the image headers (no decoding).
 */
export async function idsBySize(dataset: Dataset, ids: readonly string[]): Promise<string[]> {
  const { readImageSize } = await import('../data/image-io.ts');
  const groups = new Map<string, string[]>();
  for (const id of ids) {
    const { width, height } = await readImageSize(dataset.imagePath(id));
    const k = `${width}x${height}`;
    const g = groups.get(k);
    if (g) g.push(id);
    else groups.set(k, [id]);
  }
  return [...groups.values()].flat();
}
