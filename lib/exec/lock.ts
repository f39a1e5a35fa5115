// One process computes a key at a time. The lock file records pid and host (and, on Linux, the
// process's start time); a lock whose process is gone (same host, pid not alive, a zombie, or the
// pid now belonging to another process) is taken over without any manual unlock. A lock of another
// host is judged by its lease (lease.ts), which its holder renews while it lives.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { forgetLease, hostName, leaseExpired, leaseMs, renewLease } from './lease.ts';

export interface LockOwner {
  pid: number;
  host: string;
  started: string;
  /** the process's start time in clock ticks since boot (/proc/PID/stat field 22), where known */
  startTicks?: number;
  /** the holder renews the lock's bytes at least this often x3; a lock without it is never another host's to take */
  leaseMs?: number;
}

export interface Lock {
  release(): Promise<void>;
}

/**
 * An unreadable lock (not JSON: a writer of an older version killed between create and write) is
 * stale only once it is this old: a lock being written right now must not be taken over.
 */
export const UNREADABLE_LOCK_GRACE_MS = 10_000;

/** State letter and start time of a process, from /proc; null where /proc does not know it. */
function procStat(pid: number): { state: string; startTicks: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) S ppid ...": comm may hold spaces and parentheses, so split after the last ')'
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], startTicks: Number(fields[19]) };
  } catch {
    return null;
  }
}

/** Whether the process that wrote `owner` (on this host) still runs. */
export function ownerAlive(owner: Pick<LockOwner, 'pid' | 'startTicks'>): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const st = procStat(owner.pid);
  if (!st) return true;
  // a SIGKILLed process stays a zombie until its parent reaps it: it computes nothing any more
  if (st.state === 'Z' || st.state === 'X') return false;
  // the pid was reused by a process that started later than the lock's writer
  return owner.startTicks === undefined || owner.startTicks === st.startTicks;
}

async function readOwner(path: string): Promise<{ text: string; owner: LockOwner | null } | null> {
  try {
    const text = await readFile(path, 'utf8');
    try {
      const owner = JSON.parse(text) as LockOwner;
      return { text, owner: typeof owner?.pid === 'number' && typeof owner.host === 'string' ? owner : null };
    } catch {
      return { text, owner: null };
    }
  } catch {
    return null;
  }
}

/**
 * Creates the lock file with its content in one step (a complete temp file hard-linked to the
 * lock's name, which fails if the name exists), so no reader ever sees a half-written lock.
 * Filesystems without hard links get exclusive create + write.
 */
async function createLock(path: string, text: string): Promise<boolean> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, text);
  try {
    await link(tmp, path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  try {
    const fh = await open(path, 'wx');
    await fh.writeFile(text);
    await fh.close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

async function isStale(path: string, seen: { text: string; owner: LockOwner | null }, me: LockOwner): Promise<boolean> {
  const { owner } = seen;
  if (owner && owner.host !== me.host) return owner.leaseMs !== undefined && leaseExpired(path, seen.text, owner.leaseMs);
  if (owner) return !ownerAlive(owner);
  try {
    return Date.now() - (await stat(path)).mtimeMs > UNREADABLE_LOCK_GRACE_MS;
  } catch {
    return false;
  }
}

/** Tries once. Returns the lock, or the live owner that holds it. */
export async function tryLock(path: string): Promise<Lock | LockOwner> {
  const me: LockOwner = { pid: process.pid, host: hostName(), started: new Date().toISOString(), leaseMs: leaseMs() };
  const ticks = procStat(process.pid)?.startTicks;
  if (ticks !== undefined) me.startTicks = ticks;
  const text = JSON.stringify(me);
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await createLock(path, text)) {
      forgetLease(path);
      const renewal = renewLease(path, { ...me }, text, me.leaseMs!, (why) => process.stderr.write(`WARNING: ${why}\n`));
      return {
        release: async () => {
          await renewal.stop();
          await unlink(path).catch(() => undefined);
        },
      };
    }
    const seen = await readOwner(path);
    if (!seen) continue; // released meanwhile
    if (!(await isStale(path, seen, me))) return seen.owner ?? { pid: -1, host: 'unknown (lock being written)', started: '' };
    // move the stale file aside, then make sure it was the stale one we moved and not a fresh lock
    const aside = `${path}.stale-${process.pid}-${attempt}`;
    try {
      await rename(path, aside);
    } catch {
      continue;
    }
    const moved = await readOwner(aside);
    if (moved && moved.text !== seen.text) await rename(aside, path).catch(() => undefined);
    else await unlink(aside).catch(() => undefined);
  }
  throw new Error(`could not take lock ${path}`);
}

export function isLock(x: Lock | LockOwner): x is Lock {
  return 'release' in x;
}

/** Waits for the lock, calling `onWait` once with the owner while another live process holds it. */
export async function acquireLock(path: string, onWait: (owner: LockOwner) => void, pollMs = 200): Promise<Lock> {
  let told = false;
  for (;;) {
    const got = await tryLock(path);
    if (isLock(got)) return got;
    if (!told) {
      onWait(got);
      told = true;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
