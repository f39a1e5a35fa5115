// The attention stage's artifact: per train image the FCAN attention of each present class
// (classes x height x width, 0..255) and the class numbers, in the same order.
import type { Artifact } from '../store/artifact.ts';
import { ItemMaps, type ItemArrays } from './item-maps.ts';

export const ATTENTION = new ItemMaps('attention');
export const ATTENTION_CLASSES = new ItemMaps('classes');

export interface AttentionItem {
  maps: Uint8Array;
  classes: number[];
  width: number;
  height: number;
}

export function attentionItem(a: AttentionItem): ItemArrays {
  return { ...ATTENTION.item(a.maps, [a.classes.length, a.height, a.width]), ...ATTENTION_CLASSES.item(Uint8Array.from(a.classes), [a.classes.length]) };
}

function fromItems(maps: { data: ArrayLike<number>; shape: number[] }, classes: { data: ArrayLike<number> }): AttentionItem {
  const [, height, width] = maps.shape;
  return { maps: maps.data as Uint8Array, classes: Array.from(classes.data), width, height };
}

export async function readAttention(art: Artifact, id: string): Promise<AttentionItem> {
  return fromItems(await ATTENTION.read(art, id), await ATTENTION_CLASSES.read(art, id));
}

/** null where the artifact is absent or lacks the item (the report) */
export async function findAttention(art: Artifact | undefined, id: string): Promise<AttentionItem | null> {
  const [maps, classes] = [await ATTENTION.find(art, id), await ATTENTION_CLASSES.find(art, id)];
  return maps && classes ? fromItems(maps, classes) : null;
}
