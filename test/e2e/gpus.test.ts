// GPUs as slots, through the CLI, with the devices simulated: a fake nvidia-smi lists two GPUs and
// DCSP_GPU_SIMULATE=1 lets the CPU backend (wasm) stand for tfjs-node-gpu. Everything else is
// real: the slots, which process holds which card, the environment each stage process sees, and
// the bytes. A 4-variant micro sweep up to attention (a training, then a per-item tensor stage)
// runs with --jobs 4 --gpus auto, then with --gpu-share 2, each against a sweep without --gpus.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliWithFakeGpus, fakeNvidiaSmi, heldFrom, mostAtOnce, type Held } from '../fixtures/fake-gpus.ts';
import { committed } from './committed.ts';

const base = mkdtempSync(join(tmpdir(), 'dcsp-gpus-'));
const bin = fakeNvidiaSmi(base, ['Fake GPU A', 'Fake GPU B']);
// the micro profile made lighter still (8 training images, 6 steps): what is shown is where stages ran
const LIGHT = ['dataset.toy.counts.train=8', 'dataset.toy.counts.val=4', 'fcan-pretrain.iterations=6', 'fcan-pretrain.checkpointEvery=3'];
const SWEEP = [
  'sweep',
  '--until',
  'attention',
  '--jobs',
  '4',
  '--grid',
  'fcan-pretrain.seed=1,2,3,4',
  '--profile',
  'micro',
  ...LIGHT.flatMap((s) => ['--set', s]),
];
const TENSOR_STAGES = ['fcan-pretrain', 'attention'];

const cli = (cache: string, args: string[], env: Record<string, string> = {}) => cliWithFakeGpus(bin, cache, args, env);

const tensor = (held: Held[]): Held[] => held.filter((h) => TENSOR_STAGES.includes(h.stage));

describe('a sweep on two simulated GPUs', () => {
  const plain = join(base, 'plain');
  const one = join(base, 'one');
  const two = join(base, 'two');
  let oneLog = '';
  beforeAll(async () => {
    const r = await cli(plain, SWEEP);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const g = await cli(one, [...SWEEP, '--gpus', 'auto'], { DCSP_GPU_SIMULATE: '1' });
    expect(g.code, g.stderr.slice(-2000)).toBe(0);
    oneLog = g.stderr;
    // the user's own TF_FORCE_GPU_ALLOW_GROWTH is kept
    const s = await cli(two, [...SWEEP, '--gpus', 'auto', '--gpu-share', '2'], { DCSP_GPU_SIMULATE: '1', TF_FORCE_GPU_ALLOW_GROWTH: 'false' });
    expect(s.code, s.stderr.slice(-2000)).toBe(0);
  }, 900_000);

  it('says first which GPUs it uses, on which backend, and that they are simulated', () => {
    expect(oneLog).toMatch(/^GPUs: 0 \(Fake GPU A, 16384 MiB\), 1 \(Fake GPU B, 16384 MiB\); one tensor stage per GPU at a time; backend wasm; SIMULATED/m);
  });

  it('gives each tensor stage one GPU, never two stages one GPU at once, and uses both', () => {
    const held = tensor(heldFrom(one));
    // 4 variants x 2 tensor stages, each computed once
    expect(held).toHaveLength(8);
    for (const h of held) {
      expect(h.gpu, h.stage).not.toBeNull();
      expect(h.backend).toBe('wasm');
      expect(h.simulated).toBe(true);
      // what the stage's own process saw
      expect(h.env).toEqual({ CUDA_VISIBLE_DEVICES: String(h.gpu), TF_FORCE_GPU_ALLOW_GROWTH: 'true' });
    }
    expect(new Set(held.map((h) => h.gpu))).toEqual(new Set([0, 1]));
    expect(Math.max(...mostAtOnce(held).values())).toBe(1);
    // stages that compute no tensors hold none, and their process saw no GPU mask
    const cpu = heldFrom(one).filter((h) => !TENSOR_STAGES.includes(h.stage));
    expect(cpu.length).toBeGreaterThan(0);
    for (const h of cpu) expect([h.gpu, h.env?.CUDA_VISIBLE_DEVICES]).toEqual([null, null]);
  });

  it('with --gpu-share 2, puts at most two on a card, and two did share one', () => {
    const held = tensor(heldFrom(two));
    expect(held).toHaveLength(8);
    for (const h of held) expect(h.env).toEqual({ CUDA_VISIBLE_DEVICES: String(h.gpu), TF_FORCE_GPU_ALLOW_GROWTH: 'false' });
    const most = [...mostAtOnce(held).values()];
    expect(Math.max(...most)).toBe(2);
  });

  it('commits the same contents under the same keys as the sweep without --gpus', () => {
    const reference = committed(plain);
    // one dataset, four trainings, four attention maps
    expect(Object.fromEntries(Object.entries(reference).map(([stage, keys]) => [stage, Object.keys(keys).length]))).toEqual({
      dataset: 1,
      'fcan-pretrain': 4,
      attention: 4,
    });
    expect(committed(one)).toEqual(reference);
    expect(committed(two)).toEqual(reference);
  });
});
