// Full integrity check: re-hash every file of every committed artifact against its file list and
// its content hash. A corrupt artifact is moved aside, so the next run misses and recomputes it
// (a tampered entry is never restored as a hit).
import { rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Artifact } from './artifact.ts';
import { contentHashOf, hashFiles } from './commit.ts';
import { readManifest, type Manifest } from './manifest.ts';
import type { Store } from './store.ts';

export interface VerifyReport {
  stage: string;
  key: string;
  ok: boolean;
  problems: string[];
}

export interface ContentCheck {
  /** empty: intact */
  problems: string[];
  /**
   * When the damage was done, as far as the files tell: the earliest modification time of a changed
   * file (ms), or -Infinity where that cannot be known (a file missing, the lists unreadable).
   */
  damagedSince: number;
}

/** Everything wrong with an artifact's files against its file list and content hash. */
export async function checkContent(dir: string): Promise<ContentCheck> {
  const problems: string[] = [];
  let damagedSince = Infinity;
  const changed = async (p: string): Promise<void> => {
    const m = await stat(join(dir, p)).then(
      (st) => st.mtimeMs,
      () => -Infinity,
    );
    damagedSince = Math.min(damagedSince, m);
  };
  try {
    const art = await Artifact.open(dir);
    const listed = await art.files();
    const actual = await hashFiles(dir);
    const byPath = new Map(actual.map((f) => [f[0], f]));
    for (const [p, size, hash] of listed) {
      const got = byPath.get(p);
      if (!got) {
        problems.push(`${p} is missing`);
        damagedSince = -Infinity;
      } else if (got[1] !== size || got[2] !== hash) {
        problems.push(got[1] !== size ? `${p} has ${got[1]} bytes, expected ${size}` : `${p} content changed`);
        await changed(p);
      }
      byPath.delete(p);
    }
    for (const p of byPath.keys()) {
      problems.push(`${p} is not part of the artifact`);
      await changed(p);
    }
    if (!problems.length && contentHashOf(listed) !== art.manifest.contentHash) problems.push('content hash does not match the manifest');
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (problems.length && damagedSince === Infinity) damagedSince = -Infinity;
  return { problems, damagedSince };
}

/**
 * Re-hashes every committed artifact. A damaged one is set aside, and so is every artifact built
 * from it after the damage was done (its result may rest on the damaged bytes: the cache would
 * otherwise go on serving it under its valid key), and every artifact whose recorded input now
 * holds other content. The next run recomputes what was set aside.
 */
export async function verifyStore(store: Store, onEach?: (r: VerifyReport) => void): Promise<VerifyReport[]> {
  const found = await store.listArtifacts();
  const reports = new Map<string, VerifyReport>();
  const damaged = new Map<string, number>();
  const manifests = new Map<string, Manifest>();
  for (const { stage, key, dir } of found) {
    const { problems, damagedSince } = await checkContent(dir);
    reports.set(dir, { stage, key, ok: problems.length === 0, problems });
    if (problems.length) damaged.set(dir, damagedSince);
    else manifests.set(dir, (await readManifest(dir))!);
  }
  // downstream of the damage, to a fixed point: what was built on a suspect artifact is suspect
  for (let changed = true; changed; ) {
    changed = false;
    for (const [dir, m] of manifests) {
      const why = suspectInput(store, m, damaged, manifests);
      if (!why) continue;
      reports.get(dir)!.ok = false;
      reports.get(dir)!.problems.push(why);
      damaged.set(dir, -Infinity);
      manifests.delete(dir);
      changed = true;
    }
  }
  const out: VerifyReport[] = [];
  for (const { dir } of found) {
    const r = reports.get(dir)!;
    if (!r.ok) await setAside(dir, r);
    out.push(r);
    onEach?.(r);
  }
  return out;
}

function suspectInput(store: Store, m: Manifest, damaged: Map<string, number>, intact: Map<string, Manifest>): string | null {
  const created = Date.parse(m.created);
  for (const ref of Object.values(m.inputs)) {
    const dir = store.artifactDir(ref.stage, ref.key);
    const since = damaged.get(dir);
    if (since !== undefined && !(since > created)) return `built on ${ref.stage}/${ref.key.slice(0, 12)}, which is damaged (possibly before this was made)`;
    const now = intact.get(dir);
    if (now && now.contentHash !== ref.contentHash) return `its input ${ref.stage}/${ref.key.slice(0, 12)} now holds other content than it was built on`;
  }
  return null;
}

async function setAside(dir: string, r: VerifyReport): Promise<void> {
  try {
    await rename(dir, `${dir}.corrupt-${Date.now()}`);
  } catch (err) {
    r.problems.push(`could not be set aside: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
