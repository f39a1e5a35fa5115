// Locks on a cache shared by several hosts: a pid means nothing on another host, so its lock is
// judged by its lease. The "other host" is a child process that records another hostname
// (DCSP_HOST), holds a lock and renews it; this process must wait for it while it lives, and take
// the lock over once it is SIGKILLed and a whole lease passes without a renewal.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isLock, tryLock, type LockOwner } from '../../lib/exec/lock.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'dcsp-lease-'));
const LEASE = 600;

/** A process on "another host" that takes the lock at `path`, says so, and holds it until killed. */
function holder(path: string) {
  const script = `import { tryLock, isLock } from ${JSON.stringify(join(ROOT, 'lib/exec/lock.ts'))};
const l = await tryLock(${JSON.stringify(path)});
if (!isLock(l)) { console.log('busy'); process.exit(1); }
console.log('held');
setInterval(() => {}, 1000);`;
  const file = join(dir, `holder-${Math.random().toString(36).slice(2)}.mts`);
  writeFileSync(file, script);
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, DCSP_HOST: 'other-host', DCSP_LOCK_LEASE_MS: String(LEASE) },
  });
  const held = new Promise<void>((ok, fail) => child.stdout.on('data', (d) => (String(d).includes('held') ? ok() : fail(new Error(String(d))))));
  return { child, held };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('lock leases across hosts', () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.DCSP_LOCK_LEASE_MS;
    process.env.DCSP_LOCK_LEASE_MS = String(LEASE);
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.DCSP_LOCK_LEASE_MS;
    else process.env.DCSP_LOCK_LEASE_MS = saved;
  });

  it('a live process on another host is never taken over: it renews its lease', async () => {
    const path = join(dir, 'live.lock');
    const h = holder(path);
    await h.held;
    try {
      // eight leases long, every attempt finds the holder
      const renewals = new Set<string>();
      for (let t = 0; t < 8 * LEASE; t += 100) {
        const got = await tryLock(path);
        expect(isLock(got)).toBe(false);
        expect((got as LockOwner).host).toBe('other-host');
        renewals.add(readFileSync(path, 'utf8'));
        await sleep(100);
      }
      // the bytes changed as it renewed (about three times a lease)
      expect(renewals.size).toBeGreaterThanOrEqual(8);
    } finally {
      h.child.kill('SIGKILL');
    }
  }, 30_000);

  it("a dead host's lock expires once a whole lease passes without a renewal, and not before", async () => {
    const path = join(dir, 'dead.lock');
    const h = holder(path);
    await h.held;
    const gone = new Promise((r) => h.child.once('exit', r));
    h.child.kill('SIGKILL');
    await gone;
    // its pid is dead, but on another host a pid says nothing: the lease decides
    const t0 = performance.now();
    let got = await tryLock(path);
    expect(isLock(got)).toBe(false);
    while (!isLock(got)) {
      await sleep(50);
      got = await tryLock(path);
      expect(performance.now() - t0).toBeLessThan(5 * LEASE);
    }
    expect(performance.now() - t0).toBeGreaterThanOrEqual(LEASE);
    expect(JSON.parse(readFileSync(path, 'utf8')).pid).toBe(process.pid);
    await got.release();
  }, 30_000);

  it('a lock of another host without a lease (an older version wrote it) is never taken over', async () => {
    const path = join(dir, 'old.lock');
    writeFileSync(path, JSON.stringify({ pid: 1, host: 'elsewhere', started: new Date().toISOString() }));
    for (let i = 0; i < 10; i++) {
      expect(isLock(await tryLock(path))).toBe(false);
      await sleep(LEASE / 4);
    }
  });

  it('a held lock is renewed by its holder and released whole', async () => {
    const path = join(dir, 'mine.lock');
    const lock = await tryLock(path);
    expect(isLock(lock)).toBe(true);
    const first = readFileSync(path, 'utf8');
    await sleep(LEASE);
    const later = JSON.parse(readFileSync(path, 'utf8'));
    expect(readFileSync(path, 'utf8')).not.toBe(first);
    expect(later.renewals).toBeGreaterThanOrEqual(1);
    expect(later.leaseMs).toBe(LEASE);
    if (isLock(lock)) await lock.release();
    await sleep(LEASE);
    // no renewal landed after the release
    expect(() => readFileSync(path)).toThrow();
  });
});
