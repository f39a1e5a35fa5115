import { existsSync, readdirSync, readFileSync, writeFileSync, truncateSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../lib/cli/main.ts';
import { makeProject, resetCalls, type Project } from './project.ts';

const KEY = /^[0-9a-f]{64}$/;
const keys = (p: Project, stage: string): string[] => (existsSync(join(p.cache, stage)) ? readdirSync(join(p.cache, stage)).filter((e) => KEY.test(e)) : []);

/** A same-size change to one chunk of double's artifact: its middle byte XORed with `mask`. */
function flipMiddleByte(p: Project, key: string, chunkName: string, mask: number): string {
  const chunk = join(p.cache, 'double', key, 'data.zarr', 'doubled', chunkName);
  const bytes = readFileSync(chunk);
  bytes[bytes.length >> 1] ^= mask;
  writeFileSync(chunk, bytes);
  return chunk;
}

function statuses(stdout: string): Record<string, string> {
  return Object.fromEntries((JSON.parse(stdout) as { outcomes: { stage: string; status: string }[] }).outcomes.map((o) => [o.stage, o.status]));
}

describe('gc', () => {
  it('removes what no profile references, keeps what one does, and --dry-run removes nothing', async () => {
    const p = makeProject('gc');
    expect((await p.cli(['run', '--until', 'sum', '--workers', '1'])).code).toBe(0);
    expect((await p.cli(['run', '--until', 'sum', '--workers', '1', '--profile', 'big'])).code).toBe(0);
    expect(keys(p, 'source')).toHaveLength(2);
    // drop the `big` profile from the file: its artifacts are now garbage
    const yaml = readFileSync(p.pipeline, 'utf8');
    writeFileSync(p.pipeline, yaml.replace('  big:\n    params:\n      source: { count: 30 }\n', ''));
    const dry = await p.cli(['gc', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/would remove .*source\/[0-9a-f]{64} .*not referenced by any profile/);
    expect(dry.stdout).toMatch(/refs of unknown profile big/);
    expect(keys(p, 'source')).toHaveLength(2);
    const real = await p.cli(['gc']);
    expect(real.code).toBe(0);
    expect(keys(p, 'source')).toHaveLength(1);
    expect(keys(p, 'double')).toHaveLength(1);
    expect(keys(p, 'constant')).toHaveLength(1);
    resetCalls(p);
    const again = await p.cli(['run', '--until', 'sum', '--workers', '1', '--json']);
    expect(statuses(again.stdout)).toEqual({ source: 'cached', double: 'cached', constant: 'cached', sum: 'cached' });
  });

  it('is linear in profiles: 1,000 profiles are read once, and what the last one uses is kept', async () => {
    const p = makeProject('gc-profiles');
    const profiles = Array.from({ length: 1000 }, (_, i) => `  p${i}:\n    params:\n      source: { count: ${1 + (i % 50)}, seed: ${i} }\n`);
    writeFileSync(p.pipeline, `${readFileSync(p.pipeline, 'utf8')}${profiles.join('')}`);
    expect((await p.cli(['run', '--until', 'double', '--workers', '1', '--profile', 'p999'])).code).toBe(0);
    // in this process, timed in CPU seconds: other work on the machine does not count
    let out = '';
    const cpu0 = process.cpuUsage();
    const code = await main(['gc', '--pipeline', p.pipeline], { out: (t) => (out += t), err: () => {} });
    const cpu = process.cpuUsage(cpu0);
    const seconds = (cpu.user + cpu.system) / 1e6;
    expect(code).toBe(0);
    expect(out.trim()).toBe('0 entries, 0.0 MB');
    expect(keys(p, 'source')).toHaveLength(1);
    // reading the file once per profile took 4.4 s for 100 profiles and over 120 s for 1,000
    console.log(`gc over 1,000 profiles: ${seconds.toFixed(1)} s of CPU`);
    expect(seconds).toBeLessThan(20);
  }, 120_000);
});

describe('verify and damaged artifacts', () => {
  it('verify reports a flipped byte in a chunk, and the next run recomputes that artifact', async () => {
    const p = makeProject('verify');
    expect((await p.cli(['run', '--until', 'sum', '--workers', '1'])).code).toBe(0);
    const [key] = keys(p, 'double');
    flipMiddleByte(p, key, 'c.7.0.0', 0xff);
    const ok = await p.cli(['verify']);
    expect(ok.code).toBe(1);
    expect(ok.stdout).toMatch(new RegExp(`CORRUPT double/${key.slice(0, 12)}: data.zarr/doubled/c.7.0.0 content changed`));
    expect(ok.stdout).toMatch(/ok +source\//);
    resetCalls(p);
    const r = await p.cli(['run', '--until', 'sum', '--workers', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(statuses(r.stdout)).toEqual({ source: 'cached', double: 'run', constant: 'cached', sum: 'cached' });
    expect(keys(p, 'double')).toEqual([key]);
    expect((await p.cli(['verify'])).code).toBe(0);
  });

  it('verify also sets aside what was built on an artifact after it was damaged, and the rerun equals the first', async () => {
    const p = makeProject('verify-downstream');
    expect((await p.cli(['run', '--until', 'sum', '--workers', '1'])).code).toBe(0);
    const [key] = keys(p, 'double');
    const [sumKey] = keys(p, 'sum');
    const sumBefore = readFileSync(join(p.cache, 'sum', sumKey, 'sum.json'), 'utf8');
    const chunk = flipMiddleByte(p, key, 'c.7.0.0', 0xff);
    // the damage dates from before sum was made (an older version would have built sum on it)
    const past = (Date.now() - 3_600_000) / 1000;
    utimesSync(chunk, past, past);
    const v = await p.cli(['verify']);
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(new RegExp(`CORRUPT sum/${sumKey.slice(0, 12)}: built on double/${key.slice(0, 12)}, which is damaged`));
    expect(v.stdout).toMatch(/ok +constant\//);
    expect(v.stdout).toMatch(/4 artifact\(s\) checked, 2 corrupt/);
    resetCalls(p);
    const r = await p.cli(['run', '--until', 'sum', '--workers', '1', '--json']);
    expect(statuses(r.stdout)).toEqual({ source: 'cached', double: 'run', constant: 'cached', sum: 'run' });
    expect(readFileSync(join(p.cache, 'sum', sumKey, 'sum.json'), 'utf8')).toBe(sumBefore);
  });

  it('a same-size change in an input about to be read is caught before use and recomputed', async () => {
    const p = makeProject('tamper');
    expect((await p.cli(['run', '--until', 'sum', '--workers', '1'])).code).toBe(0);
    const [key] = keys(p, 'double');
    flipMiddleByte(p, key, 'c.4.0.0', 0x01);
    const r = await p.cli(['run', '--until', 'sum', '--workers', '1', '--json', '--set', 'sum.scale=2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/double: cached artifact [0-9a-f]{12} is damaged \(data.zarr\/doubled\/c.4.0.0 content changed\); recomputing/);
    expect(statuses(r.stdout)).toEqual({ source: 'cached', double: 'run', constant: 'cached', sum: 'run' });
    expect((await p.cli(['verify'])).code).toBe(0);
  });

  it('a truncated file in an artifact about to be read is caught before use and recomputed', async () => {
    const p = makeProject('truncate');
    expect((await p.cli(['run', '--until', 'sum', '--workers', '1'])).code).toBe(0);
    const [key] = keys(p, 'double');
    truncateSync(join(p.cache, 'double', key, 'data.zarr', 'doubled', 'c.3.0.0'), 5);
    // sum re-runs with a new param and reads double: the damage is found before it is used
    const r = await p.cli(['run', '--until', 'sum', '--workers', '1', '--json', '--set', 'sum.scale=2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/double: cached artifact [0-9a-f]{12} is damaged \(data.zarr\/doubled\/c.3.0.0 has 5 bytes/);
    expect(r.stderr).toMatch(/double: running/);
    expect(keys(p, 'double')).toEqual([key]);
    expect((await p.cli(['verify'])).code).toBe(0);
  });
});

describe('isolated stages', () => {
  it('runs a stage in a child process with the same result, and reports a crash there as that stage failing', async () => {
    const p = makeProject('isolate');
    const r = await p.cli(['run', '--until', 'sum', '--workers', '1', '--isolate', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const q = makeProject('inproc');
    const s = await q.cli(['run', '--until', 'sum', '--workers', '1', '--json']);
    const key = (out: string, stage: string): string =>
      (JSON.parse(out) as { outcomes: { stage: string; key: string }[] }).outcomes.find((o) => o.stage === stage)!.key;
    expect(key(r.stdout, 'sum')).toBe(key(s.stdout, 'sum'));
    expect(readFileSync(join(p.cache, 'sum', key(r.stdout, 'sum'), 'sum.json'), 'utf8')).toBe(
      readFileSync(join(q.cache, 'sum', key(s.stdout, 'sum'), 'sum.json'), 'utf8'),
    );

    const c = makeProject('crash');
    const crash = await c.cli(['run', '--until', 'sum', '--workers', '1', '--isolate'], { env: { DCSP_TEST_CRASH: 'constant' } });
    expect(crash.code).toBe(1);
    expect(crash.stderr).toMatch(/stage constant failed: child process exited with code 3/);
    expect(keys(c, 'constant')).toEqual([]);
    expect(keys(c, 'double')).toHaveLength(1);
  });
});

describe('independent stages side by side', () => {
  it('runs a branch while another computes, and a failure stops only what depends on it', async () => {
    const slow = { DCSP_TEST_DELAY_MS: '200' };
    const order = async (jobs: string): Promise<string[]> => {
      const p = makeProject(`jobs${jobs}`);
      const r = await p.cli(['run', '--until', 'sum', '--workers', '1', '--jobs', jobs], { env: slow });
      expect(r.code, r.stderr).toBe(0);
      return p.calls().map((l) => l.split(' ')[0]);
    };
    // double's 20 items take 4 s on one worker; constant needs only source
    const one = await order('1');
    expect(one.indexOf('constant')).toBe(one.lastIndexOf('double') + 1);
    const two = await order('2');
    expect(two.indexOf('constant')).toBeLessThan(two.lastIndexOf('double'));

    const c = makeProject('jobs-crash');
    const crash = await c.cli(['run', '--workers', '1', '--jobs', '2', '--isolate', '--json'], { env: { ...slow, DCSP_TEST_CRASH: 'constant' } });
    expect(crash.code).toBe(1);
    const summary = JSON.parse(crash.stdout) as { failures: { stage: string }[]; outcomes: { stage: string }[] };
    expect(summary.failures.map((f) => f.stage)).toEqual(['constant']);
    expect(summary.outcomes.map((o) => o.stage)).toEqual(['source', 'double']);
    expect(keys(c, 'double')).toHaveLength(1);
    expect(keys(c, 'sum')).toEqual([]);
  });
});
