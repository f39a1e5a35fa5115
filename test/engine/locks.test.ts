import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProject, type Project } from './project.ts';

async function sourceKey(p: Project): Promise<string> {
  const r = await p.cli(['status', '--json']);
  return (JSON.parse(r.stdout) as { stages: { stage: string; key: string }[] }).stages.find((s) => s.stage === 'source')!.key;
}

describe('locks', () => {
  it('two concurrent runs on one cache never compute the same key twice', async () => {
    const p = makeProject('concurrent');
    const env = { DCSP_TEST_DELAY_MS: '40' };
    const [a, b] = await Promise.all([
      p.spawn(['run', '--until', 'sum', '--workers', '1'], { env }),
      p.spawn(['run', '--until', 'sum', '--workers', '1'], { env }),
    ]);
    expect(a.exitCode, String(a.stderr)).toBe(0);
    expect(b.exitCode, String(b.stderr)).toBe(0);
    expect(p.calls('double')).toHaveLength(20);
    expect(p.calls('sum')).toHaveLength(1);
    expect(`${a.stderr}${b.stderr}`).toMatch(/waiting for pid \d+ .*which is computing this key/);
  });

  it('a lock left by a dead process is taken over', async () => {
    const p = makeProject('stale');
    const dead = spawnSync(process.execPath, ['-e', 'process.pid']).pid!;
    const key = await sourceKey(p);
    mkdirSync(join(p.cache, 'source'), { recursive: true });
    const lock = join(p.cache, 'source', `${key}.lock`);
    writeFileSync(lock, JSON.stringify({ pid: dead, host: hostname(), started: new Date().toISOString() }));
    const r = await p.cli(['run', '--until', 'source', '--workers', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/waiting/);
    expect(existsSync(lock)).toBe(false);
    expect(existsSync(join(p.cache, 'source', key, 'manifest.json'))).toBe(true);
  });

  it('waits for a live owner and proceeds once it lets go', async () => {
    const p = makeProject('live');
    const key = await sourceKey(p);
    mkdirSync(join(p.cache, 'source'), { recursive: true });
    const lock = join(p.cache, 'source', `${key}.lock`);
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString() }));
    const run = p.spawn(['run', '--until', 'source', '--workers', '1']);
    // let go only once the run says it waits (a fixed sleep raced a slow start on a loaded machine)
    const waiting = new RegExp(`waiting for pid ${process.pid}`);
    let seen = '';
    await new Promise<void>((resolve, reject) => {
      run.stderr?.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (waiting.test(seen)) resolve();
      });
      run.then(() => reject(new Error(`the run ended without waiting for the lock: ${seen}`)), reject);
    });
    expect(existsSync(join(p.cache, 'source', key))).toBe(false);
    const { unlinkSync } = await import('node:fs');
    unlinkSync(lock);
    const r = await run;
    expect(r.exitCode).toBe(0);
    expect(String(r.stderr)).toMatch(waiting);
  });
});
