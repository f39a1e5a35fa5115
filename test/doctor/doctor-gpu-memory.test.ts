// `pipeline doctor` on simulated GPUs (DCSP_GPU_SIMULATE=1, a fake nvidia-smi first on PATH): every
// measurement process runs on the first of the run's GPUs, as a stage process holding it would
// (CUDA_VISIBLE_DEVICES=<its index>, allow-growth), and each training's line sets the memory its
// measurement process held (the fake lists the process that ran it) against the card's, with the
// verdict on two to a card flipping with the card's size. A fake that lists no line for the
// process: the line says so, with no figure. The three doctor runs are made at once: each is mostly
// processes starting, which a busy machine makes slow one after another.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { fakeNvidiaSmiWithApps } from '../fixtures/fake-gpus.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/pipeline.mjs');
const base = mkdtempSync(join(tmpdir(), 'dcsp-doctor-gpu-memory-'));
// GPU 0 small, GPU 1 large: which card doctor measured on decides the verdict
const CARDS = [
  { name: 'Fake Small', memoryMiB: 5000 },
  { name: 'Fake T4', memoryMiB: 16384 },
];
const USED = 3021;
// micro's trainings shortened: doctor times their steps; the count only scales the estimate. A
// budget no micro step comes near: on a busy machine a step predicted over the default 20 s would
// be timed at a smaller batch, and its memory said to be that batch's
const LIGHT = [...['fcan-pretrain.iterations=4', 'train.iterations=4'].flatMap((s) => ['--set', s]), '--budget', '600'];

interface Doctored {
  stdout: string;
  stderr: string;
  /** each compute-apps query the fake answered: the asking pid, its CUDA_VISIBLE_DEVICES and TF_FORCE_GPU_ALLOW_GROWTH */
  queries: string[];
}

async function doctor(name: string, usedMiB: number | null, args: string[]): Promise<Doctored> {
  const dir = join(base, name);
  const log = join(dir, 'queries.log');
  const bin = fakeNvidiaSmiWithApps(dir, CARDS, usedMiB, log);
  const r = await execa(
    process.execPath,
    [BIN, 'doctor', '--profile', 'micro', '--backend', 'wasm', '--cache', join(dir, 'cache'), '--no-tensorboard', ...LIGHT, ...args],
    { cwd: ROOT, reject: false, env: { FORCE_COLOR: '0', DCSP_GPU_SIMULATE: '1', PATH: `${bin}:${process.env.PATH}`, TF_FORCE_GPU_ALLOW_GROWTH: undefined } },
  );
  expect(r.exitCode, String(r.stderr).slice(-3000)).toBe(0);
  const queries = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
  return { stdout: String(r.stdout), stderr: String(r.stderr), queries };
}

describe('pipeline doctor on simulated GPUs: training memory against the card', () => {
  let large: Doctored, small: Doctored, unlisted: Doctored;
  beforeAll(async () => {
    [large, small, unlisted] = await Promise.all([
      doctor('large', USED, ['--gpus', '1,0', '--until', 'train']),
      doctor('small', USED, ['--gpus', '0', '--gpu-share', '2', '--until', 'fcan-pretrain']),
      doctor('unlisted', null, ['--gpus', 'auto', '--until', 'fcan-pretrain']),
    ]);
  }, 600_000);

  it('measures on the first GPU listed, and on the large card two of each training fit', () => {
    const r = large;
    expect(r.stderr).toMatch(/^GPUs: 1 \(Fake T4, 16384 MiB\), 0 \(Fake Small, 5000 MiB\);.*SIMULATED/m);
    expect(r.stderr).toMatch(/doctor: timing \d+ things on GPU 1 \(Fake T4, simulated\) with wasm/);
    const lines = r.stdout.split('\n');
    expect(lines).toContain('  the measurement processes saw CUDA_VISIBLE_DEVICES=1, TF_FORCE_GPU_ALLOW_GROWTH=true');
    expect(lines.find((l) => l.startsWith('GPU memory of each training'))).toMatch(/measured on GPU 1 \(Fake T4\).*SIMULATED/);
    for (const stage of ['fcan-pretrain', 'train'])
      expect(lines).toContain(`  ${stage}: 3,021 MiB at batch 4 (64 px) of the card's 16,384 MiB (GPU 1, Fake T4): two fit on one card`);
    // the two training steps' processes asked (train's and fcan-pretrain's), each on GPU 1 with allow-growth
    expect(r.queries).toHaveLength(2);
    for (const q of r.queries) expect(q).toMatch(/^\d+ 1 true$/);
    expect(new Set(r.queries.map((q) => q.split(' ')[0])).size).toBe(2);
    expect(r.stdout).not.toMatch(/^warning/m);
  });

  it('on the small card two do not fit, and --gpu-share 2 is warned of', () => {
    const r = small;
    const lines = r.stdout.split('\n');
    expect(lines).toContain('  the measurement processes saw CUDA_VISIBLE_DEVICES=0, TF_FORCE_GPU_ALLOW_GROWTH=true');
    expect(lines).toContain(
      "  fcan-pretrain: 3,021 MiB at batch 4 (64 px) of the card's 5,000 MiB (GPU 0, Fake Small): two do not fit (--gpu-share 2 would fail)",
    );
    expect(lines.find((l) => l.startsWith('warning: --gpu-share 2'))).toMatch(/fcan-pretrain \(3,021 MiB\) exceed the 4,500 MiB usable/);
    expect(r.queries.map((q) => q.replace(/^\d+ /, ''))).toEqual(['0 true']);
  });

  it("says the memory was not reported when nvidia-smi lists no line for the measurement's process", () => {
    const r = unlisted;
    const line = r.stdout.split('\n').find((l) => l.startsWith('  fcan-pretrain: '));
    expect(line).toMatch(
      /^ {2}fcan-pretrain: memory not reported \(nvidia-smi lists no compute process with pid \d+ \(1 listed;.*\), so no figure at batch 4 x 64 px; the card \(GPU 0, Fake Small\): 5,000 MiB$/,
    );
    expect(line).not.toMatch(/two (do not )?fit/);
    expect(r.queries).toHaveLength(1);
  });
});
