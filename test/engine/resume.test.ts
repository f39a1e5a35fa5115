import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProject, resetCalls, type Project } from './project.ts';

const KEY = /^[0-9a-f]{64}$/;

function committed(p: Project, stage: string): string[] {
  const dir = join(p.cache, stage);
  return existsSync(dir) ? readdirSync(dir).filter((e) => KEY.test(e)) : [];
}

/** Every content file of an artifact, path -> bytes (the manifest's timings excluded). */
function contents(p: Project, stage: string, key: string): Map<string, Buffer> {
  const dir = join(p.cache, stage, key);
  const files = JSON.parse(readFileSync(join(dir, 'files.json'), 'utf8')) as [string, number, string][];
  return new Map(files.map(([f]) => [f, readFileSync(join(dir, f))]));
}

async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('crash and resume', () => {
  it('SIGKILL mid-stage, then a new run resumes and commits the same bytes as an uninterrupted run', async () => {
    const p = makeProject('kill');
    const run = p.spawn(['run', '--until', 'double', '--workers', '2'], { env: { DCSP_TEST_DELAY_MS: '120' } });
    await until(() => p.calls("double").length >= 8, 60_000);
    run.kill('SIGKILL');
    await run;
    const done = p.calls('double').length;
    expect(done).toBeLessThan(20);
    expect(committed(p, 'double')).toEqual([]);
    const partial = readdirSync(join(p.cache, 'double')).find((e) => e.endsWith('.partial'));
    expect(partial).toBeDefined();
    const saved = readdirSync(join(p.cache, 'double', partial!, 'work', 'items')).filter((f) => f.endsWith('.item'));
    expect(saved.length).toBeGreaterThanOrEqual(2); // items land per finished chunk of 2

    resetCalls(p);
    const again = await p.cli(['run', '--until', 'double', '--workers', '2']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(new RegExp(`double: ${20 - saved.length} of 20 items to compute \\(${saved.length} resumed`));
    expect(p.calls('double')).toHaveLength(20 - saved.length);
    expect(readdirSync(join(p.cache, 'double')).filter((e) => e.endsWith('.partial'))).toEqual([]);

    const q = makeProject('straight');
    expect((await q.cli(['run', '--until', 'double', '--workers', '1'])).code).toBe(0);
    const [kp] = committed(p, 'double');
    const [kq] = committed(q, 'double');
    expect(kp).toBe(kq);
    const a = contents(p, 'double', kp);
    const b = contents(q, 'double', kq);
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [f, bytes] of a) expect(bytes.equals(b.get(f)!), f).toBe(true);
    expect(a.size).toBeGreaterThan(20); // chunk files, metadata, item table
  });
});
