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
  it('a damaged finished item (truncated or altered) is computed again on resume, not padded or trusted', async () => {
    const p = makeProject('damaged-item');
    const run = p.spawn(['run', '--until', 'double', '--workers', '1'], { env: { DCSP_TEST_DELAY_MS: '120' } });
    await until(() => p.calls('double').length >= 8, 60_000);
    run.kill('SIGKILL');
    await run;
    const partial = readdirSync(join(p.cache, 'double')).find((e) => e.endsWith('.partial'))!;
    const items = join(p.cache, 'double', partial, 'work', 'items');
    const saved = readdirSync(items)
      .filter((f) => f.endsWith('.item'))
      .sort();
    expect(saved.length).toBeGreaterThanOrEqual(4);
    const { truncateSync, writeFileSync } = await import('node:fs');
    const { statSync } = await import('node:fs');
    const size = statSync(join(items, saved[0])).size;
    truncateSync(join(items, saved[0]), size - 3);
    const altered = readFileSync(join(items, saved[1]));
    altered[altered.length - 2] ^= 0x10;
    writeFileSync(join(items, saved[1]), altered);
    resetCalls(p);
    const again = await p.cli(['run', '--until', 'double', '--workers', '1']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(new RegExp(`item file .* is damaged: ${size - 3} bytes, its header describes ${size}; computing it again`));
    expect(again.stderr).toMatch(/item file .* is damaged: its arrays do not match their checksum; computing it again/);
    expect(again.stderr).toMatch(new RegExp(`double: ${20 - saved.length + 2} of 20 items to compute \\(${saved.length - 2} resumed`));
    const q = makeProject('damaged-item-straight');
    expect((await q.cli(['run', '--until', 'double', '--workers', '1'])).code).toBe(0);
    const [kp] = committed(p, 'double');
    const [kq] = committed(q, 'double');
    expect(kp).toBe(kq);
    for (const [f, bytes] of contents(p, 'double', kp)) expect(bytes.equals(contents(q, 'double', kq).get(f)!), f).toBe(true);
  });

  it("an item reused from an earlier artifact is checked against that artifact's item table", async () => {
    const p = makeProject('reuse-check');
    expect((await p.cli(['run', '--until', 'double', '--workers', '1'])).code).toBe(0);
    const [key] = committed(p, 'double');
    // the item hashes are content: change one in the table, as a damaged earlier artifact would be
    const table = join(p.cache, 'double', key, 'items.json');
    const t = JSON.parse(readFileSync(table, 'utf8')) as { ids: string[]; hashes: string[] };
    t.hashes[3] = '0'.repeat(64);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(table, JSON.stringify(t));
    resetCalls(p);
    // a new source count makes a new key for double, whose items are looked up in the old artifact
    const r = await p.cli(['run', '--until', 'double', '--workers', '1', '--set', 'source.count=21']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`item ${t.ids[3]} of .* does not match its recorded hash; computing it again`));
    expect(
      p
        .calls('double')
        .map((l) => l.split(' ')[1])
        .sort(),
    ).toEqual([t.ids[3], 'item-0020'].sort());
  });

  it('SIGKILL mid-stage, then a new run resumes and commits the same bytes as an uninterrupted run', async () => {
    const p = makeProject('kill');
    const run = p.spawn(['run', '--until', 'double', '--workers', '2'], { env: { DCSP_TEST_DELAY_MS: '120' } });
    await until(() => p.calls('double').length >= 8, 60_000);
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
