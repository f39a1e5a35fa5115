// Stage keys being computed anywhere on a cache, as `pipeline status` shows them: every key lock
// (cache/<stage>/<key>.lock: who, since when), judged alive or abandoned as the lock's next taker
// would judge it, with how far the computation is (its partial folder's progress.json) and, for a
// job of a distributed worker, which worker and job (the run log's last `started` event for it).
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { hostName, leaseExpired } from '../exec/lease.ts';
import { ownerAlive, UNREADABLE_LOCK_GRACE_MS, type LockOwner } from '../exec/lock.ts';
import { safeReaddir, type Store } from '../store/store.ts';
import { etaSeconds, readProgress, type ProgressRecord } from './progress-file.ts';

const LOCK_RE = /^([0-9a-f]{64})\.lock$/;
/** how much of the run log's end is searched for worker events */
const RUN_LOG_TAIL = 1 << 20;

export interface WorkInProgress {
  stage: string;
  key: string;
  /** null: the lock is being written (or is unreadable) */
  owner: LockOwner | null;
  state: 'running' | 'abandoned';
  /** why it is judged abandoned */
  why?: string;
  progress: ProgressRecord | null;
  /** seconds left at the recorded rate */
  eta: number | null;
  /** the distributed worker and job computing it, when a worker took it */
  worker?: { worker: string; job?: string; attempt?: number };
}

export async function workInProgress(store: Store, now = Date.now()): Promise<WorkInProgress[]> {
  const out: WorkInProgress[] = [];
  for (const stage of await store.stages()) {
    for (const entry of await safeReaddir(store.stageDir(stage))) {
      const key = LOCK_RE.exec(entry)?.[1];
      if (!key) continue;
      const path = join(store.stageDir(stage), entry);
      const seen = await readOwner(path);
      if (!seen) continue; // released meanwhile
      const { state, why } = await judge(path, seen, now);
      const progress = await readProgress(store.partialDir(stage, key));
      out.push({
        stage,
        key,
        owner: seen.owner,
        state,
        ...(why ? { why } : {}),
        progress,
        eta: state === 'running' && progress ? etaSeconds(progress, now) : null,
      });
    }
  }
  if (out.length) await addWorkers(store, out);
  return out;
}

/**
 * A lock's text and owner (null: not a lock's JSON, e.g. being written); null once released. Read
 * here rather than exported from lock.ts: per-item saliency stages import lock.ts, so touching it
 * would re-key them.
 */
async function readOwner(path: string): Promise<{ text: string; owner: LockOwner | null } | null> {
  const text = await readFile(path, 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    const o = JSON.parse(text) as LockOwner;
    return { text, owner: typeof o?.pid === 'number' && typeof o.host === 'string' ? o : null };
  } catch {
    return { text, owner: null };
  }
}

async function judge(path: string, seen: { text: string; owner: LockOwner | null }, now: number): Promise<{ state: WorkInProgress['state']; why?: string }> {
  const { owner } = seen;
  const age = await stat(path).then(
    (s) => now - s.mtimeMs,
    () => 0,
  );
  if (!owner) {
    return age > UNREADABLE_LOCK_GRACE_MS ? { state: 'abandoned', why: `unreadable lock, ${Math.round(age / 1000)} s old` } : { state: 'running' };
  }
  if (owner.host === hostName()) {
    return ownerAlive(owner) ? { state: 'running' } : { state: 'abandoned', why: `lock of pid ${owner.pid} on ${owner.host}, which is gone` };
  }
  // another host's holder renews its lease by rewriting the lock: watched from here (status
  // --watch) as a waiting run would watch it, or by the file's age, with a margin for clocks
  if (owner.leaseMs !== undefined && (leaseExpired(path, seen.text, owner.leaseMs) || age > 2 * owner.leaseMs)) {
    return {
      state: 'abandoned',
      why: `lock of pid ${owner.pid} on ${owner.host}, not renewed for ${Math.round(age / 1000)} s (lease ${Math.round(owner.leaseMs / 1000)} s)`,
    };
  }
  return { state: 'running' };
}

/** The last `started` event of a distributed worker for each key in progress. */
async function addWorkers(store: Store, work: WorkInProgress[]): Promise<void> {
  let text: string;
  try {
    const fh = await open(join(store.runsDir, 'runs.jsonl'), 'r');
    try {
      const size = (await fh.stat()).size;
      const start = Math.max(0, size - RUN_LOG_TAIL);
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      text = buf.toString('utf8');
    } finally {
      await fh.close();
    }
  } catch {
    return;
  }
  const byKey = new Map(work.map((w) => [`${w.stage}@${w.key}`, w]));
  for (const line of text.split('\n')) {
    if (!line.includes('"started"')) continue;
    try {
      const e = JSON.parse(line) as Record<string, unknown>;
      const w = byKey.get(`${String(e.stage)}@${String(e.key)}`);
      if (e.event === 'started' && w && typeof e.worker === 'string') {
        w.worker = {
          worker: e.worker,
          ...(e.job !== undefined ? { job: String(e.job) } : {}),
          ...(typeof e.attempt === 'number' ? { attempt: e.attempt } : {}),
        };
      }
    } catch {
      // a torn line (the first of the tail, or a killed writer's)
    }
  }
}
