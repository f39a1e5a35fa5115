// Full integrity check: re-hash every file of every committed artifact against its file list and
// its content hash. A corrupt artifact is moved aside, so the next run misses and recomputes it
// (a tampered entry is never restored as a hit).
import { rename } from 'node:fs/promises';
import { Artifact } from './artifact.ts';
import { contentHashOf, hashFiles } from './commit.ts';
import type { Store } from './store.ts';

export interface VerifyReport {
  stage: string;
  key: string;
  ok: boolean;
  problems: string[];
}

/** Everything wrong with an artifact's files against its file list and content hash (empty: intact). */
export async function contentProblems(dir: string): Promise<string[]> {
  const problems: string[] = [];
  try {
    const art = await Artifact.open(dir);
    const listed = await art.files();
    const actual = await hashFiles(dir);
    const byPath = new Map(actual.map((f) => [f[0], f]));
    for (const [p, size, hash] of listed) {
      const got = byPath.get(p);
      if (!got) problems.push(`${p} is missing`);
      else if (got[1] !== size) problems.push(`${p} has ${got[1]} bytes, expected ${size}`);
      else if (got[2] !== hash) problems.push(`${p} content changed`);
      byPath.delete(p);
    }
    for (const p of byPath.keys()) problems.push(`${p} is not part of the artifact`);
    if (!problems.length && contentHashOf(listed) !== art.manifest.contentHash) problems.push('content hash does not match the manifest');
  } catch (err) {
    problems.push((err as Error).message);
  }
  return problems;
}

export async function verifyStore(store: Store, onEach?: (r: VerifyReport) => void): Promise<VerifyReport[]> {
  const reports: VerifyReport[] = [];
  for (const { stage, key, dir } of await store.listArtifacts()) {
    const problems = await contentProblems(dir);
    const r = { stage, key, ok: problems.length === 0, problems };
    if (!r.ok) await rename(dir, `${dir}.corrupt-${Date.now()}`);
    reports.push(r);
    onEach?.(r);
  }
  return reports;
}
