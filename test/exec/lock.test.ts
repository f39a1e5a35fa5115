// Lock ownership at the file level: a lock being written is never taken over, a dead owner's is,
// and "dead" includes a SIGKILLed process not yet reaped (a zombie) and a pid reused since.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isLock, ownerAlive, tryLock, UNREADABLE_LOCK_GRACE_MS } from '../../lib/exec/lock.ts';

const dir = mkdtempSync(join(tmpdir(), 'dcsp-lock-'));
const ticksOf = (pid: number): number => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[19]);

describe('lock files', () => {
  it('are created whole, with pid, host and start time', async () => {
    const path = join(dir, 'whole.lock');
    const lock = await tryLock(path);
    expect(isLock(lock)).toBe(true);
    const owner = JSON.parse(readFileSync(path, 'utf8'));
    expect(owner).toMatchObject({ pid: process.pid, host: hostname(), startTicks: ticksOf(process.pid) });
    expect(isLock(await tryLock(path))).toBe(false);
    if (isLock(lock)) await lock.release();
    expect(isLock(await tryLock(path))).toBe(true);
  });

  it('an empty lock just created is held; the same lock left for longer than the grace is stale', async () => {
    const path = join(dir, 'empty.lock');
    writeFileSync(path, '');
    expect(isLock(await tryLock(path))).toBe(false);
    const old = (Date.now() - UNREADABLE_LOCK_GRACE_MS - 5000) / 1000;
    utimesSync(path, old, old);
    expect(isLock(await tryLock(path))).toBe(true);
  });

  it('a live owner is alive, a reused pid is not', () => {
    expect(ownerAlive({ pid: process.pid, startTicks: ticksOf(process.pid) })).toBe(true);
    expect(ownerAlive({ pid: process.pid })).toBe(true);
    expect(ownerAlive({ pid: process.pid, startTicks: ticksOf(process.pid) + 1 })).toBe(false);
  });

  it('a killed process that its parent has not reaped yet (a zombie) is dead', async () => {
    // bash starts a short child, then becomes `sleep`, which never reaps it: a zombie until the end
    const sh = spawn('bash', ['-c', 'sleep 0.2 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const pid = Number(await new Promise<string>((resolve) => sh.stdout.once('data', (d) => resolve(String(d)))));
    let state = '';
    for (let i = 0; i < 100 && state !== 'Z'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0];
    }
    expect(state).toBe('Z');
    expect(() => process.kill(pid, 0)).not.toThrow(); // kill(pid, 0) alone would call it alive
    expect(ownerAlive({ pid })).toBe(false);
    const path = join(dir, 'zombie.lock');
    writeFileSync(path, JSON.stringify({ pid, host: hostname(), started: new Date().toISOString() }));
    expect(isLock(await tryLock(path))).toBe(true);
    sh.kill();
  });

  it('a lock of a live process on another host is never taken over', async () => {
    const path = join(dir, 'remote.lock');
    writeFileSync(path, JSON.stringify({ pid: 1, host: 'elsewhere', started: new Date().toISOString() }));
    const got = await tryLock(path);
    expect(isLock(got)).toBe(false);
    expect(got).toMatchObject({ host: 'elsewhere' });
  });
});
