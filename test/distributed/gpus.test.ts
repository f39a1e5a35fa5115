// GPU slots on BullMQ workers, through the CLI, with the devices simulated (a fake nvidia-smi,
// DCSP_GPU_SIMULATE=1, the computation on wasm). Two workers stand for two machines (DCSP_HOST):
// one offers GPU 0, the other GPUs 0 and 1. A 3-variant micro sweep up to cues queues its
// trainings and attention maps as GPU jobs, and the boundary saliency passes and cues as CPU jobs.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeNvidiaSmi, heldFrom, mostAtOnce, type Held } from '../fixtures/fake-gpus.ts';
import { BIN, ready, ROOT, startRedis, startWorker, type Redis, type WorkerProc } from './cluster.ts';

const base = mkdtempSync(join(tmpdir(), 'dcsp-bullmq-gpus-'));
const cache = join(base, 'cache');
const bin = fakeNvidiaSmi(base, ['Fake GPU A', 'Fake GPU B']);
const ENV = { DCSP_BACKEND: 'wasm', DCSP_GPU_SIMULATE: '1', PATH: `${bin}:${process.env.PATH}` };
const TENSOR_STAGES = ['fcan-pretrain', 'attention'];
const SLOTS: Record<string, number> = { 'gpu-host-a': 1, 'gpu-host-b': 2 };

/** How many GPU slots of `host` were held at time `t`. */
const heldAt = (gpu: Held[], host: string, t: number): number => gpu.filter((g) => g.host === host && g.from <= t && t < g.to).length;

describe('two GPU workers on a loopback Redis', () => {
  let redis: Redis;
  const workers: WorkerProc[] = [];
  let sweepLog = '';
  let held: Held[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    const queue = 'gpus';
    workers.push(
      startWorker(redis, cache, { ...ENV, DCSP_HOST: 'gpu-host-a' }, ['--queue', queue, '--gpus', '0']),
      startWorker(redis, cache, { ...ENV, DCSP_HOST: 'gpu-host-b' }, ['--queue', queue, '--gpus', '0,1']),
    );
    await Promise.all(workers.map((w) => ready(w, 60_000)));
    const r = await execa(
      process.execPath,
      [
        BIN,
        'sweep',
        '--until',
        'cues',
        '--grid',
        'fcan-pretrain.seed=1,2,3',
        '--profile',
        'micro',
        '--cache',
        cache,
        '--executor',
        'bullmq',
        '--redis',
        redis.url,
        '--queue',
        queue,
      ],
      { cwd: ROOT, reject: false, env: { FORCE_COLOR: '0', ...ENV } },
    );
    sweepLog = String(r.stderr);
    expect(r.exitCode, sweepLog.slice(-3000)).toBe(0);
    held = heldFrom(cache);
  }, 600_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await redis?.stop();
  });

  it('offers one slot per listed GPU', () => {
    expect(workers[0].log()).toMatch(/taking jobs .* 1 GPU slot\(s\)/);
    expect(workers[1].log()).toMatch(/taking jobs .* 2 GPU slot\(s\)/);
    expect(sweepLog).toMatch(/^GPUs: tensor stages go to the workers' GPU slots/m);
  });

  it('computes every tensor stage in a GPU slot whose process saw only that card, and never double-books a slot', () => {
    const gpu = held.filter((h) => TENSOR_STAGES.includes(h.stage));
    expect(gpu).toHaveLength(6);
    for (const h of gpu) {
      expect(Object.keys(SLOTS)).toContain(h.host);
      expect(h.gpu, h.stage).not.toBeNull();
      expect(h.simulated).toBe(true);
      expect(h.env).toEqual({ CUDA_VISIBLE_DEVICES: String(h.gpu), TF_FORCE_GPU_ALLOW_GROWTH: 'true' });
    }
    // worker a offers only GPU 0
    expect(gpu.filter((h) => h.host === 'gpu-host-a').every((h) => h.gpu === 0)).toBe(true);
    expect(Math.max(...mostAtOnce(gpu).values())).toBe(1);
  });

  it('runs CPU-only stages beside GPU jobs: one ran while every GPU slot of its worker was held', () => {
    const gpu = held.filter((h) => TENSOR_STAGES.includes(h.stage));
    const cpu = held.filter((h) => !TENSOR_STAGES.includes(h.stage));
    expect(cpu.map((h) => h.stage)).toEqual(expect.arrayContaining(['dataset', 'saliency-s1', 'erase-s2', 'erase-s3', 'cues']));
    for (const h of cpu) expect(h.gpu).toBeNull();
    const beside = cpu.filter((c) => {
      const moments = [c.from, ...gpu.filter((g) => g.host === c.host && g.from >= c.from && g.from < c.to).map((g) => g.from)];
      return moments.some((t) => heldAt(gpu, c.host, t) === SLOTS[c.host]);
    });
    expect(beside.map((c) => `${c.stage}@${c.host}`)).not.toEqual([]);
  });
});
