// An item's key and where its finished file lives. The key is the stage's recipe plus the shared
// context, the id and the item's own inputs, so an item is found again whatever run computed it;
// a distributed worker checks a chunk's item files against the same keys before it writes them.
// An item computed in a batch of several (a stage declared with lib/contract/item-batches.ts) has
// a key that also names its batch: on a backend whose batch kernels round otherwise than one image
// at a time, its bytes are those of that batch. An item in a batch of one keeps its own key.
import { join } from 'node:path';
import type { Artifact } from '../store/artifact.ts';
import type { Json } from '../store/canonical-json.ts';
import { sha256 } from '../store/hash.ts';
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

/**
 * The keys of items computed in batches: `batches` holds indices into `own` (each item's own key,
 * itemKeysOf), one list per batch in the order its members go through the network. A member of a
 * batch of several gets sha256('dcsp-item-batch/1', its own key, every member's own key in batch
 * order), so a change to any mate, or to the batch's composition or order, re-keys every member
 * and no other item; a batch of one keeps the item's own key. Every index must be in one batch.
 */
export function batchedKeys(own: readonly string[], batches: readonly (readonly number[])[]): string[] {
  const keys: (string | undefined)[] = own.map(() => undefined);
  for (const batch of batches) {
    const members = batch.map((i) => own[i]);
    for (const i of batch) {
      if (!Number.isInteger(i) || i < 0 || i >= own.length || keys[i] !== undefined) throw new Error(`item ${i} is in no batch or in two`);
      keys[i] = batch.length === 1 ? own[i] : sha256('dcsp-item-batch/1', own[i], ...members);
    }
  }
  const missing = keys.indexOf(undefined);
  if (missing >= 0) throw new Error(`item ${missing} is in no batch`);
  return keys as string[];
}

/** Where a per-item stage keeps its finished items: in its work folder, one file per item key. */
export function itemsDirOf(workDir: string): string {
  return join(workDir, 'items');
}

export function itemFileOf(itemsDir: string, key: string): string {
  return join(itemsDir, `${key}.item`);
}
