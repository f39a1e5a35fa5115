// The micro DAG on BullMQ workers, black box through the CLI: redis-server on a free loopback port,
// three `pipeline worker` processes, each in its own scratch directory, one shared cache path. The
// committed artifacts must be byte-identical to a local run's: for the run, for a 4-variant sweep
// that two coordinators start at once, and for a run during which one worker is SIGKILLed in the
// middle of a per-item stage and another in the middle of a training stage. Every run is the light
// micro (../e2e/light-micro.ts): what is compared is keys and bytes, not sizes.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIGHT_MICRO, LIGHT_MICRO_SIZES } from '../e2e/light-micro.ts';
import { BIN, itemsComputedTwice, ready, ROOT, runEvents, startRedis, startWorker, until, type Redis, type WorkerProc } from './cluster.ts';

const base = mkdtempSync(join(tmpdir(), 'dcsp-bullmq-micro-'));
const SWEEP = ['--grid', 'eval.crf=false,true', '--grid', 'eval.checkpoint=train,retrain'];
const UPSTREAM = ['dataset', 'saliency-s1', 'erase-s2', 'erase-s3', 'fcan-pretrain'];

async function cli(cache: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await execa(process.execPath, [BIN, ...args, '--profile', 'micro', ...LIGHT_MICRO, '--cache', cache], {
    cwd: ROOT,
    reject: false,
    env: { FORCE_COLOR: '0' },
  });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** `variant/stage` -> key and file list (path, size, sha256) of what every ref of the cache names */
function committed(cache: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const variant of readdirSync(join(cache, 'refs'))) {
    for (const stage of readdirSync(join(cache, 'refs', variant))) {
      if (stage.startsWith('.')) continue;
      const key = readFileSync(join(cache, 'refs', variant, stage), 'utf8').trim();
      out[`${variant}/${stage}`] = `${key} ${readFileSync(join(cache, stage, key, 'files.json'), 'utf8')}`;
    }
  }
  return out;
}

describe('the micro DAG on BullMQ workers', () => {
  let redis: Redis;
  const workers: WorkerProc[] = [];
  const local = join(base, 'local');
  let reference: Record<string, string>;
  let runVariant: string;
  let queues = 0;
  const cluster = async (cache: string, n: number): Promise<{ ws: WorkerProc[]; args: string[] }> => {
    const queue = `m${queues++}`;
    const ws = Array.from({ length: n }, () => startWorker(redis, cache, {}, ['--queue', queue]));
    workers.push(...ws);
    await Promise.all(ws.map((w) => ready(w, 60_000)));
    return { ws, args: ['--executor', 'bullmq', '--redis', redis.url, '--queue', queue] };
  };

  beforeAll(async () => {
    redis = await startRedis();
    const r = await cli(local, ['run', '--until', 'eval']);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    // the run's refs namespace (micro and a digest of the light settings), before the sweep adds its variants'
    const variants = readdirSync(join(local, 'refs'));
    expect(variants).toHaveLength(1);
    runVariant = variants[0];
    const s = await cli(local, ['sweep', '--until', 'eval', ...SWEEP]);
    expect(s.code, s.stderr.slice(-2000)).toBe(0);
    reference = committed(local);
  }, 900_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await redis?.stop();
  });

  it('the run and a 4-variant sweep that two coordinators start at once: byte-identical to local, every key executed once', async () => {
    const shared = join(base, 'shared');
    const { args } = await cluster(shared, 3);
    const r = await cli(shared, ['run', '--until', 'eval', ...args]);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.stderr).toMatch(/11 stage\(s\) ran, 0 cached/);
    const [a, b] = await Promise.all([
      cli(shared, ['sweep', '--until', 'eval', ...SWEEP, ...args]),
      cli(shared, ['sweep', '--until', 'eval', ...SWEEP, ...args]),
    ]);
    expect(a.code, a.stderr.slice(-2000)).toBe(0);
    expect(b.code, b.stderr.slice(-2000)).toBe(0);
    expect(a.stdout).toMatch(/4 variants in /);
    expect(committed(shared)).toEqual(reference);
    const done = runEvents(shared)
      .filter((e) => e.event === 'committed')
      .map((e) => `${e.stage}@${e.key}`);
    // 11 stages, then 3 more evals (the fourth variant is the run's own)
    expect(done).toHaveLength(14);
    expect(new Set(done).size).toBe(14);
    expect(itemsComputedTwice(shared)).toEqual([]);
    // the work was spread over the workers
    const busy = new Set(
      runEvents(shared)
        .filter((e) => e.event === 'chunk' || e.event === 'committed')
        .map((e) => e.worker),
    );
    expect(busy.size).toBeGreaterThanOrEqual(2);

    // --seeds on micro through the workers: seed 1 re-trains fcan-pretrain, the dataset is shared
    const seeds = await cli(shared, [
      'sweep',
      '--until',
      'fcan-pretrain',
      '--grid',
      'fcan-pretrain.batch=4',
      '--seeds',
      '2',
      '--metric',
      'fcan-pretrain.finalLoss',
      '--json',
      ...args,
    ]);
    expect(seeds.code, seeds.stderr.slice(-2000)).toBe(0);
    const sv = JSON.parse(seeds.stdout) as {
      variants: { labels: Record<string, string>; stages: Record<string, string>; metrics: Record<string, Record<string, number>> }[];
      table: string;
    };
    expect(sv.variants.map((v) => v.labels.seed)).toEqual(['0', '1']);
    expect(sv.variants[1].stages).toEqual({ dataset: 'cached', 'fcan-pretrain': 'run' });
    expect(sv.variants[0].metrics['fcan-pretrain'].finalLoss).not.toBe(sv.variants[1].metrics['fcan-pretrain'].finalLoss);
    expect(sv.table).toMatch(/\| 4 \| [\d.]+ ± [\d.]+ \(N=2\) \|/);
  }, 900_000);

  it('one worker SIGKILLed in a per-item stage and one in a training stage: the run completes, identical, no committed item computed twice', async () => {
    const cache = join(base, 'killed');
    // the upstream stages before attention come from the local run: the kills land in attention and train
    for (const s of UPSTREAM) cpSync(join(local, s), join(cache, s), { recursive: true });
    const { ws, args } = await cluster(cache, 3);
    const run = execa(process.execPath, [BIN, 'run', '--until', 'eval', '--profile', 'micro', ...LIGHT_MICRO, '--cache', cache, ...args], {
      cwd: ROOT,
      reject: false,
      env: { FORCE_COLOR: '0' },
    });
    const holderOf = (stage: string): WorkerProc | undefined => {
      const started = runEvents(cache).filter((e) => e.event === 'started' && e.stage === stage);
      const w = started.at(-1)?.worker;
      return w ? ws.find((x) => w.endsWith(`/${x.pid}`)) : undefined;
    };
    // per-item: attention, once a chunk of it is committed and more are to come
    await until(() => runEvents(cache).some((e) => e.event === 'chunk' && e.stage === 'attention'), 300_000, 'a chunk of attention');
    const first = holderOf('attention')!;
    first.proc.kill('SIGKILL');
    // training: train, once its first checkpoint is written
    await until(
      () => {
        const key = runEvents(cache).find((e) => e.event === 'started' && e.stage === 'train')?.key;
        return (
          Boolean(key) &&
          existsSync(join(cache, 'train', `${key}.partial`, 'work', 'checkpoints')) &&
          readdirSync(join(cache, 'train', `${key}.partial`, 'work', 'checkpoints')).length > 0
        );
      },
      400_000,
      'a checkpoint of train',
    );
    const second = holderOf('train')!;
    expect(second).not.toBe(first);
    second.proc.kill('SIGKILL');
    const r = await run;
    expect(r.exitCode, String(r.stderr).slice(-3000)).toBe(0);
    const ours = committed(cache);
    for (const [k, v] of Object.entries(ours)) expect(v, k).toBe(reference[k]);
    expect(Object.keys(ours).sort()).toEqual(
      Object.keys(reference)
        .filter((k) => k.startsWith(`${runVariant}/`))
        .sort(),
    );
    const ev = runEvents(cache);
    // each killed job started twice and was committed once; the training resumed from its checkpoint
    for (const stage of ['attention', 'train']) {
      expect(ev.filter((e) => e.event === 'started' && e.stage === stage).length, stage).toBe(2);
      expect(ev.filter((e) => e.event === 'committed' && e.stage === stage).length, stage).toBe(1);
    }
    expect(ev.find((e) => e.event === 'committed' && e.stage === 'train')!.resumedFrom).toBeGreaterThanOrEqual(LIGHT_MICRO_SIZES.checkpointEvery);
    expect(itemsComputedTwice(cache)).toEqual([]);
  }, 900_000);
});
