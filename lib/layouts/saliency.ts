// The saliency passes' artifact (saliency-s1, erase-s2, erase-s3): per train image S_k, and from
// the erase passes on also the pass's own map and the cumulative erasures, which the next pass reads.
import { ItemMaps8, type ItemArrays } from './item-maps.ts';

/** S_k: the pass's combined map (S1 for the first pass), 0..255 */
export const SALIENCY = new ItemMaps8('s');
/** this pass's own map before combining (the next pass thresholds it); erase passes only */
export const SALIENCY_RAW = new ItemMaps8('raw');
/** pixels erased so far (1 = erased); erase passes only */
export const ERASED = new ItemMaps8('mask');

export function saliencyItem(combined: Uint8Array, width: number, height: number, erase?: { raw: Uint8Array; mask: Uint8Array }): ItemArrays {
  return {
    ...SALIENCY.map(combined, width, height),
    ...(erase ? { ...SALIENCY_RAW.map(erase.raw, width, height), ...ERASED.map(erase.mask, width, height) } : {}),
  };
}
