// An item's key and where its finished file lives. The key is the stage's recipe plus the shared
// context, the id and the item's own inputs, so an item is found again whatever run computed it;
// a distributed worker checks a chunk's item files against the same keys before it writes them.
import { join } from 'node:path';
import type { Artifact } from '../store/artifact.ts';
import type { Json } from '../store/canonical-json.ts';
import { itemKey, type KeyParts } from '../contract/key.ts';

/** An input as item keys read it: its content hash, and its item table when it has one. */
export type KeyedInput = Pick<Artifact, 'manifest' | 'itemTable'>;

/**
 * Each item's key: the stage's recipe, the shared context, the id and the item's own inputs (its
 * entry in an input's item table, else that input's content hash).
 */
export async function itemKeysOf(parts: KeyParts, shared: Json, ids: string[], inputs: Record<string, KeyedInput>): Promise<string[]> {
  const tables = new Map<string, Map<string, string>>();
  for (const [slot, art] of Object.entries(inputs)) {
    const table = await art.itemTable();
    if (table) tables.set(slot, new Map(table.ids.map((id, i) => [id, table.hashes[i]])));
  }
  return ids.map((id) => {
    const own: Record<string, string> = {};
    for (const [slot, art] of Object.entries(inputs)) own[slot] = tables.get(slot)?.get(id) ?? art.manifest.contentHash;
    return itemKey(parts, shared, id, own);
  });
}

/** Where a per-item stage keeps its finished items: in its work folder, one file per item key. */
export function itemsDirOf(workDir: string): string {
  return join(workDir, 'items');
}

export function itemFileOf(itemsDir: string, key: string): string {
  return join(itemsDir, `${key}.item`);
}
