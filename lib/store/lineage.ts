// The artifacts upstream of some artifacts: follow each manifest's `inputs` (stage, key) through
// the cache, each artifact once. A stage that shows its inputs' history (the report: the DAG, each
// stage's key and params, training curves) reads all of these, so its key covers their digest
// (lib/contract/key-inputs.ts), and the report draws from the same walk (lib/report/lineage.ts).
import { join } from 'node:path';
import { sha256 } from './hash.ts';
import { readManifest, type Manifest } from './manifest.ts';
import { KEY_RE, STAGE_NAME } from './store.ts';

export interface ArtifactRef {
  stage: string;
  key: string;
}

export interface LineageEntry extends ArtifactRef {
  /** null when the artifact is not in the cache (collected, damaged) or the ref is malformed */
  manifest: Manifest | null;
}

/**
 * `start` and everything upstream of it, breadth-first in slot order. A manifest is data from the
 * disk: a ref that is no stage name and key is not followed (no path is built from it), and an
 * artifact whose manifest names another stage or key than its folder counts as missing.
 */
export async function upstreamOf(root: string, start: ArtifactRef[]): Promise<LineageEntry[]> {
  const seen = new Set<string>();
  const out: LineageEntry[] = [];
  const queue = [...start];
  while (queue.length) {
    const { stage, key } = queue.shift()!;
    const id = `${stage}@${key}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const valid = STAGE_NAME.test(stage) && KEY_RE.test(key);
    const m = valid ? await readManifest(join(root, stage, key)) : null;
    const manifest = m && m.stage === stage && m.key === key ? m : null;
    out.push({ stage, key, manifest });
    for (const ref of Object.values(manifest?.inputs ?? {})) queue.push({ stage: ref.stage, key: ref.key });
  }
  return out;
}

/** What a lineage is, as one hash: every artifact in it by stage, key and content (or its absence). */
export function lineageDigest(entries: LineageEntry[]): string {
  const lines = entries.map((e) => `${e.stage}@${e.key} ${e.manifest?.contentHash ?? 'missing'}`).sort();
  return sha256('dcsp-lineage/1', ...lines);
}
