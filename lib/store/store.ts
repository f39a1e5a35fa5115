// Where artifacts live: cache/<stage>/<key>/ (committed), <key>.partial/ (in progress: out/ holds
// the future artifact, work/ the resume state), <key>.lock. Refs record, per run variant (a profile
// plus its overrides), which key each stage last committed: status diffs against them and gc keeps
// what they point at.
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readManifest, type Manifest } from './manifest.ts';

/** what a stage may be called: no '/', no '.', so a stage name is never a path (a job from the queue names one) */
export const STAGE_NAME = /^[a-z][a-z0-9-]*$/;
/** a stage key: the name of its artifact's folder */
export const KEY_RE = /^[0-9a-f]{64}$/;
/** top-level cache entries that are not stage directories: no stage may take these names */
export const OWN_FOLDERS: ReadonlySet<string> = new Set(['refs', 'runs', 'data', 'sweeps', 'tensorboard', 'gpus']);

export interface ArtifactLocation {
  stage: string;
  key: string;
  dir: string;
}

export class Store {
  constructor(readonly root: string) {}

  stageDir(stage: string): string {
    return join(this.root, stage);
  }
  artifactDir(stage: string, key: string): string {
    return join(this.root, stage, key);
  }
  partialDir(stage: string, key: string): string {
    return join(this.root, stage, `${key}.partial`);
  }
  lockPath(stage: string, key: string): string {
    return join(this.root, stage, `${key}.lock`);
  }
  get runsDir(): string {
    return join(this.root, 'runs');
  }
  /** GPU slots (lib/exec/gpu-slots.ts): lock files per host, never an artifact */
  get gpusDir(): string {
    return join(this.root, 'gpus');
  }
  /** downloads and extracted datasets, shared by every stage and run; never an artifact */
  get dataDir(): string {
    return join(this.root, 'data');
  }
  private refsDir(variant: string): string {
    return join(this.root, 'refs', variant);
  }

  async lookup(stage: string, key: string): Promise<Manifest | null> {
    const m = await readManifest(this.artifactDir(stage, key));
    return m && m.key === key && m.stage === stage ? m : null;
  }

  async readRef(variant: string, stage: string): Promise<string | null> {
    try {
      const key = (await readFile(join(this.refsDir(variant), stage), 'utf8')).trim();
      return KEY_RE.test(key) ? key : null;
    } catch {
      return null;
    }
  }

  async writeRef(variant: string, stage: string, key: string): Promise<void> {
    if ((await this.readRef(variant, stage)) === key) return;
    const dir = this.refsDir(variant);
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.${stage}.${process.pid}.tmp`);
    await writeFile(tmp, `${key}\n`);
    await rename(tmp, join(dir, stage));
  }

  async listRefs(): Promise<{ variant: string; stage: string; key: string }[]> {
    const out: { variant: string; stage: string; key: string }[] = [];
    for (const variant of await safeReaddir(join(this.root, 'refs'))) {
      for (const stage of await safeReaddir(this.refsDir(variant))) {
        if (stage.startsWith('.')) continue;
        const key = await this.readRef(variant, stage);
        if (key) out.push({ variant, stage, key });
      }
    }
    return out;
  }

  /** Committed artifacts (directories named by a key); partial, lock and aside entries excluded. */
  async listArtifacts(): Promise<ArtifactLocation[]> {
    const out: ArtifactLocation[] = [];
    for (const stage of await safeReaddir(this.root)) {
      if (OWN_FOLDERS.has(stage) || stage.startsWith('.')) continue;
      for (const entry of await safeReaddir(this.stageDir(stage))) {
        if (KEY_RE.test(entry)) out.push({ stage, key: entry, dir: this.artifactDir(stage, entry) });
      }
    }
    return out;
  }

  /** Everything in a stage directory that is not a committed artifact (partials, locks, corrupt copies). */
  async listLeftovers(stage: string): Promise<string[]> {
    return (await safeReaddir(this.stageDir(stage))).filter((e) => !KEY_RE.test(e)).map((e) => join(this.stageDir(stage), e));
  }

  async stages(): Promise<string[]> {
    return (await safeReaddir(this.root)).filter((s) => !OWN_FOLDERS.has(s) && !s.startsWith('.'));
  }
}

export async function safeReaddir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}
