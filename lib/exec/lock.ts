// One process computes a key at a time. The lock file records pid and host; a lock whose process
// is gone (same host, pid not alive) is taken over without any manual unlock.
import { hostname } from 'node:os';
import { open, readFile, rename, unlink } from 'node:fs/promises';

export interface LockOwner {
  pid: number;
  host: string;
  started: string;
}

export interface Lock {
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(path: string): Promise<{ text: string; owner: LockOwner | null } | null> {
  try {
    const text = await readFile(path, 'utf8');
    try {
      return { text, owner: JSON.parse(text) as LockOwner };
    } catch {
      return { text, owner: null };
    }
  } catch {
    return null;
  }
}

/** Tries once. Returns the lock, or the live owner that holds it. */
export async function tryLock(path: string): Promise<Lock | LockOwner> {
  const me: LockOwner = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(JSON.stringify(me));
      await fh.close();
      return {
        release: async () => {
          await unlink(path).catch(() => undefined);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const seen = await readOwner(path);
    if (!seen) continue; // released meanwhile
    const { owner } = seen;
    // an unparseable lock is one whose writer died between create and write
    const stale = !owner || (owner.host === me.host && !alive(owner.pid));
    if (!stale) return owner;
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
