// The artifact of a per-item stage, assembled from its finished item files in id order (whatever
// order they were computed in), so a resumed or distributed run writes the same bytes as one
// uninterrupted run on one thread.
import { existsSync } from 'node:fs';
import type { ArtifactWriter } from '../store/artifact-writer.ts';
import type { Json } from '../store/canonical-json.ts';
import { sha256 } from '../store/hash.ts';
import { dtypeOf } from '../store/zarr.ts';
import type { ItemResult } from '../contract/stage.ts';
import { readItemFile } from './item-file.ts';

/** Writes every per-item array into the artifact (id order) and its item table. */
export async function assembleItems(
  out: ArtifactWriter,
  ids: string[],
  files: string[],
): Promise<{ itemMetrics: (Record<string, Json> | null)[]; arrays: string[] }> {
  const headers: {
    shapes: Record<string, number[]>;
    dtypes: Record<string, ReturnType<typeof dtypeOf>>;
    metrics: Record<string, Json> | null;
    hash: string;
  }[] = [];
  for (const f of files) {
    if (!existsSync(f)) throw new Error(`item file ${f} vanished before assembly`);
    const r = await readItemFile(f);
    const shapes: Record<string, number[]> = {};
    const dtypes: Record<string, ReturnType<typeof dtypeOf>> = {};
    for (const [name, a] of Object.entries(r.arrays)) {
      shapes[name] = a.shape;
      dtypes[name] = dtypeOf(a.data);
    }
    headers.push({ shapes, dtypes, metrics: r.metrics ?? null, hash: itemContentHash(r) });
  }
  const names = [...new Set(headers.flatMap((h) => Object.keys(h.shapes)))].sort();
  for (const name of names) {
    const missing = ids.filter((_, i) => !headers[i].shapes[name]);
    if (missing.length) throw new Error(`per-item array ${name} missing for items ${missing.slice(0, 5).join(', ')}`);
    await out.itemArray(name, ids, { shapes: headers.map((h) => h.shapes[name]), dtype: headers[0].dtypes[name] }, async (i) => {
      return (await readItemFile(files[i])).arrays[name];
    });
  }
  await out.items({ ids, hashes: headers.map((h) => h.hash) });
  return { itemMetrics: headers.map((h) => h.metrics), arrays: names };
}

/** An item's content hash, as the artifact's item table records it. */
export function itemContentHash(r: ItemResult): string {
  const parts: (string | Uint8Array)[] = [];
  for (const [name, a] of Object.entries(r.arrays).sort(([x], [y]) => (x < y ? -1 : 1))) {
    parts.push(name, a.shape.join(','), new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength));
  }
  return sha256(...parts);
}
