// `--executor bullmq` on the small engine DAG (source -> double -> sum, constant), through the CLI:
// redis-server on a free loopback port, `pipeline worker` processes in scratch directories, the
// project's cache the one shared path. What lands in the cache must equal a local run's, byte for
// byte, whatever is killed or restarted on the way, and no committed item is computed twice.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProject, type Project } from '../engine/project.ts';
import { BIN, itemsComputedTwice, ready, runEvents, startRedis, startWorker, until, type Redis, type WorkerProc } from './cluster.ts';

const STAGES = ['source', 'double', 'constant', 'sum'];

/** stage -> the committed key the variant's ref names and its file list (path, size, sha256) */
function artifacts(p: Project, variant = 'base', stages = STAGES): Record<string, { key: string; files: string }> {
  return Object.fromEntries(
    stages.map((s) => {
      const key = readFileSync(join(p.cache, 'refs', variant, s), 'utf8').trim();
      return [s, { key, files: readFileSync(join(p.cache, s, key, 'files.json'), 'utf8') }];
    }),
  );
}

describe('stages and per-item chunks on BullMQ workers', () => {
  let redis: Redis;
  let local: Record<string, { key: string; files: string }>;
  const all: WorkerProc[] = [];
  // each test has its own queue prefix, so a test's left-over jobs never reach another's workers
  let queues = 0;
  const cluster = async (p: Project, n: number, env: Record<string, string> = {}): Promise<{ ws: WorkerProc[]; args: string[] }> => {
    const queue = `t${queues++}`;
    const ws = Array.from({ length: n }, () =>
      startWorker(redis, p.cache, { DCSP_TEST_CALLS: p.callsFile, ...env }, ['--queue', queue, '--pipeline', p.pipeline]),
    );
    all.push(...ws);
    await Promise.all(ws.map((w) => ready(w)));
    return { ws, args: ['--executor', 'bullmq', '--redis', redis.url, '--queue', queue] };
  };

  beforeAll(async () => {
    redis = await startRedis();
    const p = makeProject('bullmq-local');
    const r = await p.cli(['run', '--until', 'sum']);
    expect(r.code, r.stderr).toBe(0);
    local = artifacts(p);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(all.map((w) => w.stop()));
    await redis?.stop();
  });

  it('two workers commit what a local run commits, byte for byte; each item computed once, on both workers', async () => {
    const p = makeProject('bullmq-run');
    const { ws, args } = await cluster(p, 2);
    const r = await p.cli(['run', '--until', 'sum', ...args]);
    expect(r.code, r.stderr).toBe(0);
    expect(artifacts(p)).toEqual(local);
    // the run looks as it does locally: one line per stage and the summary
    expect(r.stderr).toMatch(/double: done in .* on \S+, 20\/20 items computed/);
    expect(r.stderr).toMatch(/4 stage\(s\) ran, 0 cached/);
    const calls = p.calls();
    expect(calls.filter((c) => c.startsWith('double ')).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `double item-${String(i).padStart(4, '0')}`));
    expect(new Set(calls).size).toBe(calls.length);
    const chunkWorkers = new Set(
      runEvents(p.cache)
        .filter((e) => e.event === 'chunk')
        .map((e) => e.worker),
    );
    expect(chunkWorkers).toEqual(new Set(ws.map((w) => `${w.log().match(/worker (\S+):/)![1]}`)));
    expect(itemsComputedTwice(p.cache)).toEqual([]);
    const again = await p.cli(['run', '--until', 'sum', ...args]);
    expect(again.stderr).toMatch(/0 stage\(s\) ran, 4 cached/);
  }, 60_000);

  it('two coordinators started at once on the same sweep: every stage key is executed once', async () => {
    const p = makeProject('bullmq-two');
    const { args } = await cluster(p, 2, { DCSP_TEST_DELAY_MS: '20' });
    const sweep = ['sweep', '--until', 'sum', '--grid', 'double.factor=2,3', '--grid', 'sum.scale=1,2', ...args, '--json'];
    const [a, b] = await Promise.all([p.cli(sweep), p.cli(sweep)]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const ev = runEvents(p.cache);
    const committed = ev.filter((e) => e.event === 'committed').map((e) => `${e.stage}@${e.key}`);
    // source, constant, double x2, sum x4
    expect(committed.length).toBe(8);
    expect(new Set(committed).size).toBe(8);
    expect(p.calls('sum')).toHaveLength(4);
    expect(p.calls('double')).toHaveLength(40);
    const chunkItems = (stage: string) => ev.filter((e) => e.event === 'chunk' && e.stage === stage).flatMap((e) => e.items ?? []);
    expect(chunkItems('source')).toHaveLength(20);
    expect(chunkItems('double')).toHaveLength(40);
    expect(itemsComputedTwice(p.cache)).toEqual([]);
    // both coordinators got every variant's result, the same
    const metric = (out: string) => (JSON.parse(out) as { variants: { metrics: { sum: { total: number } } }[] }).variants.map((v) => v.metrics.sum.total);
    expect(metric(a.stdout)).toEqual(metric(b.stdout));
    expect(metric(a.stdout)).toHaveLength(4);
    // between them the two summaries count each execution once: a shared or joined key is 'cached'
    const runs = (out: string) => (JSON.parse(out) as { stageRuns: number }).stageRuns;
    expect(runs(a.stdout) + runs(b.stdout)).toBe(8);
    // the fixture's metric is the unscaled total: the two factors give two values
    expect(new Set(metric(a.stdout)).size).toBe(2);
  }, 90_000);

  it('a worker SIGKILLed in the middle of a per-item stage: its job resumes on another, no committed item computed twice', async () => {
    const p = makeProject('bullmq-kill');
    const { ws, args } = await cluster(p, 2, { DCSP_TEST_DELAY_MS: '150' });
    const run = p.spawn(['run', '--until', 'sum', ...args]);
    // the worker holding the double stage job, once some of its chunks are committed
    await until(() => runEvents(p.cache).some((e) => e.event === 'chunk' && e.stage === 'double'), 60_000, 'a chunk of double');
    const holder = runEvents(p.cache).find((e) => e.event === 'started' && e.stage === 'double')!.worker!;
    const victim = ws.find((w) => holder.endsWith(`/${w.pid}`))!;
    victim.proc.kill('SIGKILL');
    const r = await run;
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(artifacts(p)).toEqual(local);
    const starts = runEvents(p.cache).filter((e) => e.event === 'started' && e.stage === 'double');
    expect(starts.length).toBe(2);
    expect(starts[1].worker).not.toBe(holder);
    expect(itemsComputedTwice(p.cache)).toEqual([]);
  }, 90_000);

  it('Redis restarted mid-run: coordinator and workers reconnect, the run finishes, nothing committed is computed again', async () => {
    const p = makeProject('bullmq-redis');
    const { ws, args } = await cluster(p, 2, { DCSP_TEST_DELAY_MS: '150' });
    const run = p.spawn(['run', '--until', 'sum', ...args]);
    await until(() => runEvents(p.cache).filter((e) => e.event === 'chunk' && e.stage === 'double').length >= 2, 60_000, 'chunks of double');
    await redis.restart();
    const r = await run;
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stderr)).toMatch(/redis: coordinator lost its connection/);
    expect(String(r.stderr)).toMatch(/redis: coordinator reconnected/);
    expect(ws.some((w) => /reconnected/.test(w.log()))).toBe(true);
    expect(artifacts(p)).toEqual(local);
    expect(itemsComputedTwice(p.cache)).toEqual([]);
  }, 120_000);

  it('a stage that fails deterministically fails the stage once, not in a retry loop', async () => {
    const p = makeProject('bullmq-fail');
    const sum = join(p.dir, 'stages/sum.ts');
    writeFileSync(sum, readFileSync(sum, 'utf8').replace("countCall('sum', 'run');", "countCall('sum', 'run'); throw new Error('sum is broken on purpose');"));
    const { args } = await cluster(p, 2);
    const r = await p.cli(['run', '--until', 'sum', ...args]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/stage sum failed: .*sum is broken on purpose/);
    await new Promise((res) => setTimeout(res, 3000));
    expect(p.calls('sum')).toHaveLength(1);
    expect(runEvents(p.cache).filter((e) => e.event === 'started' && e.stage === 'sum')).toHaveLength(1);
  }, 60_000);

  it('a worker refuses a job keyed with other code than its own, with a message', async () => {
    const p = makeProject('bullmq-code');
    const { args } = await cluster(p, 1);
    expect((await p.cli(['run', '--until', 'double', ...args])).code).toBe(0);
    // the coordinator's checkout changes; the worker still runs the code it loaded
    appendFileSync(join(p.dir, 'stages/double.ts'), '\n// a newer version\n');
    const r = await p.cli(['run', '--until', 'double', ...args]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /refuses job "double-\w+": its code for double \(hash \w+\) differs from the code the job was keyed with \(\w+\); mixed versions must not write under one key/,
    );
    expect(runEvents(p.cache).filter((e) => e.event === 'committed' && e.stage === 'double')).toHaveLength(1);
  }, 60_000);

  it('bad options are exit 2; an unreachable Redis fails in seconds with a message', async () => {
    const p = makeProject('bullmq-bad');
    const bad = await p.cli(['run', '--executor', 'slurm']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--executor must be local or bullmq, got 'slurm'/);
    expect((await p.cli(['run', '--executor', 'bullmq'])).stderr).toMatch(/give --redis redis:\/\/\[USER:PASSWORD@\]HOST:PORT/);
    expect((await p.cli(['run', '--executor', 'bullmq', '--redis', 'http://x'])).code).toBe(2);
    const t0 = Date.now();
    const down = await p.cli(['run', '--executor', 'bullmq', '--redis', 'redis://127.0.0.1:1']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1 within 5 s/);
    expect(Date.now() - t0).toBeLessThan(15_000);
    const w = await execa(process.execPath, [BIN, 'worker', '--redis', 'redis://127.0.0.1:1', '--cache', p.cache], { reject: false });
    expect(w.exitCode).toBe(1);
    expect(String(w.stderr)).toMatch(/cannot reach Redis/);
  }, 60_000);
});
