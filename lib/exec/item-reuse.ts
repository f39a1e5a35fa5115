// Which items of a per-item stage need no computing: a finished item file of this key in the work
// folder (a killed run's), else the same key in an earlier artifact of the stage, copied out when
// what is read matches the hash its item table records. Anything damaged is computed again.
import { readdir, rm } from 'node:fs/promises';
import { Artifact } from '../store/artifact.ts';
import type { Json } from '../store/canonical-json.ts';
import type { ItemResult } from '../contract/stage.ts';
import { itemContentHash } from './item-assembly.ts';
import { DamagedItemError, readItemFile, writeItemFile } from './item-file.ts';
import { itemFileOf } from './item-keys.ts';

export interface ItemReuse {
  /** ids still to compute, in id order */
  todo: string[];
  /** where each id's finished file came from (by index of `ids`): null for those in `todo` */
  source: ('work' | 'cache' | null)[];
  /** why an item found was not used (one line each); those items are in `todo` */
  refused: string[];
}

/** Sorts `ids` (with their `keys`) into reused, into `itemsDir`, and still to compute. */
export async function reuseItems(ids: string[], keys: string[], itemsDir: string, previous: string[]): Promise<ItemReuse> {
  const itemPath = (key: string): string => itemFileOf(itemsDir, key);
  const inWork = new Set((await readdir(itemsDir)).filter((f) => f.endsWith('.item')).map((f) => f.slice(0, -5)));
  const earlier = await indexPrevious(previous);
  const out: ItemReuse = { todo: [], source: [], refused: [] };
  for (let i = 0; i < ids.length; i++) {
    if (inWork.has(keys[i]) && (await intactItemFile(itemPath(keys[i]), out.refused))) out.source.push('work');
    else if (earlier.has(keys[i]) && (await reuseEarlier(earlier.get(keys[i])!, itemPath(keys[i]), out.refused))) out.source.push('cache');
    else {
      out.todo.push(ids[i]);
      out.source.push(null);
    }
  }
  return out;
}

/** A finished item of this key's earlier, killed run; a damaged one is removed and recomputed. */
async function intactItemFile(path: string, refused: string[]): Promise<boolean> {
  try {
    await readItemFile(path);
    return true;
  } catch (err) {
    if (!(err instanceof DamagedItemError)) throw err;
    refused.push(err.message);
    await rm(path, { force: true });
    return false;
  }
}

/** Copies an item out of an earlier artifact when what is read is what its item table records. */
async function reuseEarlier(item: EarlierItem, path: string, refused: string[]): Promise<boolean> {
  const { artifact, id, arrays, metrics } = item;
  const result: ItemResult = { arrays: {}, metrics: metrics ?? undefined };
  try {
    for (const name of arrays) result.arrays[name] = await (await artifact.items(name)).read(id);
  } catch (err) {
    refused.push(`item ${id} of ${artifact.dir} cannot be read (${(err as Error).message})`);
    return false;
  }
  if (itemContentHash(result) !== item.hash) {
    refused.push(`item ${id} of ${artifact.dir} does not match its recorded hash`);
    return false;
  }
  await writeItemFile(path, result);
  return true;
}

interface EarlierItem {
  artifact: Artifact;
  id: string;
  arrays: string[];
  metrics: Record<string, Json> | null;
  /** its content hash in that artifact's item table */
  hash: string;
}

async function indexPrevious(dirs: string[]): Promise<Map<string, EarlierItem>> {
  const index = new Map<string, EarlierItem>();
  for (const dir of dirs) {
    let artifact: Artifact;
    try {
      artifact = await Artifact.open(dir);
    } catch {
      continue;
    }
    const state = await artifact.itemState();
    const table = await artifact.itemTable();
    if (!state || !table || state.itemKeys.length !== table.ids.length) continue;
    state.itemKeys.forEach((key, i) => {
      if (!index.has(key)) index.set(key, { artifact, id: table.ids[i], arrays: state.arrays, metrics: state.metrics[i] ?? null, hash: table.hashes[i] });
    });
  }
  return index;
}
