// What a cache holds, as the end-to-end tests compare it: every committed artifact's content hash,
// by stage and key (the cache's own folders skipped; a key folder without a manifest is not committed).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KEY_RE, OWN_FOLDERS } from '../../lib/store/store.ts';

/** stage -> key -> content hash */
export type Committed = Record<string, Record<string, string>>;

export function committed(cache: string): Committed {
  const out: Committed = {};
  for (const stage of readdirSync(cache)) {
    if (OWN_FOLDERS.has(stage) || stage.startsWith('.')) continue;
    for (const key of readdirSync(join(cache, stage)).filter((e) => KEY_RE.test(e))) {
      const manifest = join(cache, stage, key, 'manifest.json');
      if (!existsSync(manifest)) continue;
      out[stage] ??= {};
      out[stage][key] = (JSON.parse(readFileSync(manifest, 'utf8')) as { contentHash: string }).contentHash;
    }
  }
  return out;
}
