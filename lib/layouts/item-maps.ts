// One per-item array of an artifact kind, named once: producers build their per-item result with
// `item`, consumers read it back with `read` / `find`, summaries take it out of a result with `of`.
// The array names themselves live only in the layout modules beside this one.
import type { Artifact, Item, ItemArrayReader } from '../store/artifact.ts';
import type { ItemArray } from '../store/artifact-writer.ts';
import type { Map8 } from '../types.ts';

export type ItemArrays = Record<string, ItemArray>;

export class ItemMaps {
  constructor(readonly array: string) {}

  /** `{ [array]: { data, shape } }`: this array's part of an item's result */
  item(data: ItemArray['data'], shape: number[]): ItemArrays {
    return { [this.array]: { data, shape } };
  }

  reader(art: Artifact): Promise<ItemArrayReader> {
    return art.items(this.array);
  }

  async ids(art: Artifact): Promise<string[]> {
    return (await this.reader(art)).ids;
  }

  async read(art: Artifact, id: string): Promise<Item> {
    return (await this.reader(art)).read(id);
  }

  /** null where the artifact (or none was given) has no such array or not this item: the report shows what there is */
  async find(art: Artifact | undefined, id: string): Promise<Item | null> {
    if (!art) return null;
    let reader: ItemArrayReader;
    try {
      reader = await this.reader(art);
    } catch {
      return null;
    }
    return reader.has(id) ? reader.read(id) : null;
  }

  /** whether the artifact stores this array (an optional one, as the first saliency pass's `raw`) */
  async storedIn(art: Artifact): Promise<boolean> {
    return (await art.itemState())?.arrays.includes(this.array) ?? false;
  }

  /** this array out of a per-item result (what `summarize` reads back) */
  of(result: { arrays: ItemArrays }): ItemArray {
    const a = result.arrays[this.array];
    if (!a) throw new Error(`item result has no array ${this.array}`);
    return a;
  }
}

/** An 8-bit map per item (height x width): saliency, cues, predictions. */
export class ItemMaps8 extends ItemMaps {
  map(data: Uint8Array, width: number, height: number): ItemArrays {
    return this.item(data, [height, width]);
  }

  async readMap(art: Artifact, id: string): Promise<Map8> {
    return asMap8(await this.read(art, id));
  }

  async findMap(art: Artifact | undefined, id: string): Promise<Map8 | null> {
    const item = await this.find(art, id);
    return item && asMap8(item);
  }

  mapOf(result: { arrays: ItemArrays }): Map8 {
    return asMap8(this.of(result));
  }
}

export function asMap8(item: { data: ItemArray['data']; shape: number[] }): Map8 {
  const [height, width] = item.shape.slice(-2);
  const d = item.data;
  return { width, height, data: d instanceof Uint8Array ? d : Uint8Array.from(d) };
}
