// Doctor's GPU memory report, as arithmetic: a training's memory at the profile's step against the
// card's less the headroom, the verdict on two to a card, a smaller step's memory never presented
// as the profile's, and no figure where nvidia-smi gave none.
import { describe, expect, it } from 'vitest';
import type { StageEstimate, StepMemory } from '../../lib/doctor/estimate.ts';
import { formatGpuMemory, gpuMemoryReport, HEADROOM } from '../../lib/doctor/gpu-memory.ts';

const stage = (name: string, memory?: StepMemory): StageEstimate => ({
  stage: name,
  deps: [],
  role: 'training',
  tensors: true,
  seconds: 1,
  serial: 0,
  start: 0,
  macs: 0,
  how: '',
  ...(memory ? { memory } : {}),
});
const at = (batch: number, side = 321) => ({ batch, side });
const env = [{ CUDA_VISIBLE_DEVICES: '1', TF_FORCE_GPU_ALLOW_GROWTH: 'true' }];

describe('GPU memory of the trainings', () => {
  it('says whether two fit within the headroom, only for a figure at the profile step', () => {
    const stages = [
      stage('fcan-pretrain', { measured: { mib: 7000 }, timed: at(10), profile: at(10) }),
      stage('train', { measured: { mib: 7500 }, timed: at(10), profile: at(10) }),
      stage('retrain', { measured: { mib: 3000 }, timed: at(4), profile: at(10) }),
      stage('train-oracle', { measured: { mib: 7400 }, timed: at(5, 161), profile: at(10) }),
      stage('saliency-train', { measured: { mib: null, why: 'nvidia-smi lists no compute process with pid 7' }, timed: at(8, 224), profile: at(8, 224) }),
      stage('attention'),
    ];
    const r = gpuMemoryReport(stages, { index: 1, name: 'Tesla T4', memoryMiB: 15360 }, false, 2, env);
    expect(r.usableMiB).toBe(Math.floor(15360 * (1 - HEADROOM)));
    expect(r.trainings.map((t) => [t.stage, t.mib, t.twoFit])).toEqual([
      ['fcan-pretrain', 7000, false],
      ['train', 7500, false],
      ['retrain', 3000, null],
      ['train-oracle', 7400, false],
      ['saliency-train', null, null],
    ]);
    const lines = formatGpuMemory(r);
    expect(lines[0]).toMatch(/^GPU memory of each training, measured on GPU 1 \(Tesla T4\) .*within 90% of the card:$/);
    expect(lines[1]).toBe('  the measurement processes saw CUDA_VISIBLE_DEVICES=1, TF_FORCE_GPU_ALLOW_GROWTH=true');
    expect(lines).toContain("  train: 7,500 MiB at batch 10 (321 px) of the card's 15,360 MiB (GPU 1, Tesla T4): two do not fit (--gpu-share 2 would fail)");
    const retrain = lines.find((l) => l.startsWith('  retrain:'))!;
    // a smaller step's memory is said to be that step's
    expect(retrain).toBe(
      "  retrain: 3,000 MiB at batch 4 x 321 px of the card's 15,360 MiB (GPU 1, Tesla T4) (the step timed here: the profile's batch 10 x 321 px holds more, how much not measured): whether two fit at the profile's step is not known",
    );
    expect(lines.find((l) => l.startsWith('  train-oracle:'))).toMatch(/two do not fit, even at the smaller step/);
    const sal = lines.find((l) => l.startsWith('  saliency-train:'))!;
    expect(sal).toMatch(/memory not reported \(nvidia-smi lists no compute process with pid 7\)/);
    expect(sal).not.toMatch(/\d MiB at/);
    expect(lines[lines.length - 1]).toMatch(/^warning: --gpu-share 2 .*fcan-pretrain \(7,000 MiB\), train \(7,500 MiB\), train-oracle/);
  });

  it('two fit on a large card; no warning without --gpu-share; simulated said', () => {
    const stages = [stage('train', { measured: { mib: 7412 }, timed: at(10), profile: at(10) })];
    const r = gpuMemoryReport(stages, { index: 0, name: 'A100', memoryMiB: 40960 }, true, 1, env);
    const lines = formatGpuMemory(r);
    expect(lines).toContain("  train: 7,412 MiB at batch 10 (321 px) of the card's 40,960 MiB (GPU 0, A100): two fit on one card");
    expect(lines[0]).toMatch(/SIMULATED/);
    expect(lines.some((l) => l.startsWith('warning'))).toBe(false);
    // the boundary: two fit while together within the card less the headroom
    const edge = (mib: number) =>
      gpuMemoryReport([stage('t', { measured: { mib }, timed: at(1), profile: at(1) })], { index: 0, name: 'x', memoryMiB: 10000 }, false, 1, []);
    expect(edge(4500).trainings[0].twoFit).toBe(true);
    expect(edge(4501).trainings[0].twoFit).toBe(false);
  });
});
