// The inputs part of a stage's key: each input's content hash (so an input that is re-keyed but
// writes the same bytes leaves the stage cached), plus, for a stage that reads its inputs' lineage
// (the report), a digest of every artifact upstream by stage, key and content: what it shows of them
// is then covered by its key too. Declaring every upstream stage as an input instead would not do:
// inputs count by content hash, and the report shows keys and params, which are not content (an
// upstream stage re-keyed with identical bytes would leave it cached, showing the old key).
import { lineageDigest, upstreamOf } from '../store/lineage.ts';
import type { InputRef } from '../store/manifest.ts';

/** the key part that stands for the lineage, beside the slots (an '@' is in no slot name) */
export const LINEAGE_PART = '@lineage';

/** slot -> content hash: what any stage's key takes from its inputs */
export function contentHashes(inputs: Record<string, InputRef>): Record<string, string> {
  return Object.fromEntries(Object.entries(inputs).map(([slot, ref]) => [slot, ref.contentHash]));
}

export async function keyInputs(cacheRoot: string, s: { readsLineage: boolean }, inputs: Record<string, InputRef>): Promise<Record<string, string>> {
  const out = contentHashes(inputs);
  if (s.readsLineage) out[LINEAGE_PART] = lineageDigest(await upstreamOf(cacheRoot, Object.values(inputs)));
  return out;
}
