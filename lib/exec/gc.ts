// gc keeps what some profile of the pipeline file can still use: the artifacts its refs point at
// and those its current params resolve to. Everything else goes, along with partial directories
// of dead runs and corrupt or replaced copies.
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadAllProfiles, type Pipeline } from '../dag/load.ts';
import { safeReaddir, type Store } from '../store/store.ts';
import { tryLock, isLock } from './lock.ts';
import { planPipeline } from './plan.ts';

export interface GcEntry {
  path: string;
  bytes: number;
  why: string;
}

export async function collectGarbage(p: Pipeline, store: Store, dryRun: boolean): Promise<GcEntry[]> {
  const keep = new Set<string>();
  const profiles = p.profiles.length ? p.profiles : [p.profile];
  for (const variant of await loadAllProfiles(p.file)) {
    for (const plan of (await planPipeline(variant, store)).values()) if (plan.key) keep.add(`${plan.stage}/${plan.key}`);
  }
  const removals: GcEntry[] = [];
  // an idle on-demand stage (saliency-train while no detector reads it) is still part of the pipeline
  const inPipeline = (stage: string): boolean => p.stages.has(stage) || p.idle.some((s) => s.name === stage);
  const refsDir = join(store.root, 'refs');
  for (const variant of await safeReaddir(refsDir)) {
    const base = variant.split('@')[0];
    if (!profiles.includes(base)) {
      removals.push({ path: join(refsDir, variant), bytes: 0, why: `refs of unknown profile ${base}` });
      continue;
    }
    for (const stage of await safeReaddir(join(refsDir, variant))) {
      const key = (await readFile(join(refsDir, variant, stage), 'utf8').catch(() => '')).trim();
      if (inPipeline(stage)) keep.add(`${stage}/${key}`);
    }
  }
  for (const a of await store.listArtifacts()) {
    if (keep.has(`${a.stage}/${a.key}`)) continue;
    removals.push({
      path: a.dir,
      bytes: await du(a.dir),
      why: inPipeline(a.stage) ? 'not referenced by any profile' : `stage ${a.stage} is not in the pipeline`,
    });
  }
  for (const stage of await store.stages()) {
    for (const path of await store.listLeftovers(stage)) {
      if (path.endsWith('.partial')) {
        const lock = await tryLock(path.replace(/\.partial$/, '.lock'));
        if (!isLock(lock)) continue; // a live run owns it
        await lock.release();
        removals.push({ path, bytes: await du(path), why: 'partial work of a run that is no longer alive' });
      } else if (/\.(corrupt|replaced|stale)-/.test(path)) {
        removals.push({ path, bytes: await du(path), why: 'set-aside copy' });
      }
    }
  }
  if (!dryRun) for (const r of removals) await rm(r.path, { recursive: true, force: true });
  return removals;
}

async function du(path: string): Promise<number> {
  const st = await stat(path).catch(() => null);
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const e of await safeReaddir(path)) total += await du(join(path, e));
  return total;
}
