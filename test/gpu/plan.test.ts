// Which GPUs a command uses: nvidia-smi's list (a fake one written here), within
// CUDA_VISIBLE_DEVICES, and the refusals (exit 2, one line) for devices a backend cannot use.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../lib/errors.ts';
import { parseDeviceLine, parseGpusFlag, parseGpuShare, withinVisible } from '../../lib/gpu/devices.ts';
import { gpuArgs, gpuProcessEnv, planGpus } from '../../lib/gpu/plan.ts';
import { fakeNvidiaSmi } from '../fixtures/fake-gpus.ts';

const bin = fakeNvidiaSmi(mkdtempSync(join(tmpdir(), 'dcsp-gpu-plan-')), ['Fake A', 'Fake B', 'Fake C']);
const withSmi = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ PATH: `${bin}:/usr/bin:/bin`, ...extra });
const noSmi: NodeJS.ProcessEnv = { PATH: '/nonexistent' };

describe('--gpus and --gpu-share', () => {
  it('reads auto, none and lists, and refuses anything else in one line', () => {
    expect(parseGpusFlag(undefined, 'run')).toBeUndefined();
    expect(parseGpusFlag('auto', 'run')).toEqual({ kind: 'auto' });
    expect(parseGpusFlag(' 0, 2 ', 'run')).toEqual({ kind: 'list', indices: [0, 2] });
    expect(() => parseGpusFlag('gpu0', 'run')).toThrow(InputError);
    expect(() => parseGpusFlag('1,1', 'sweep')).toThrow(/names a GPU twice/);
    expect(parseGpuShare(undefined, 'run')).toBe(1);
    expect(() => parseGpuShare('0', 'run')).toThrow(/--gpu-share must be/);
  });

  it("reads nvidia-smi's CSV lines and keeps the devices CUDA_VISIBLE_DEVICES shows, in its order", () => {
    expect(parseDeviceLine('1, NVIDIA A100-SXM4-40GB, 40960 MiB')).toEqual({ index: 1, name: 'NVIDIA A100-SXM4-40GB', memoryMiB: 40960 });
    expect(parseDeviceLine('No devices were found')).toBeNull();
    const all = [0, 1, 2].map((index) => ({ index, name: 'x', memoryMiB: null }));
    expect(withinVisible(all, undefined)).toEqual(all);
    expect(withinVisible(all, '2,0').map((d) => d.index)).toEqual([2, 0]);
    // CUDA stops at the first invalid entry; -1 hides everything
    expect(withinVisible(all, '1,7,2').map((d) => d.index)).toEqual([1]);
    expect(withinVisible(all, '-1')).toEqual([]);
    expect(() => withinVisible(all, 'GPU-8f0e')).toThrow(/UUID/);
  });
});

describe('planGpus', () => {
  it('auto: every listed device, or those CUDA_VISIBLE_DEVICES shows; none without nvidia-smi', async () => {
    const gpu = await planGpus({ kind: 'auto' }, 1, 'tfjs-node-gpu', 'run', withSmi());
    expect(gpu.plan?.devices.map((d) => d.name)).toEqual(['Fake A', 'Fake B', 'Fake C']);
    expect(gpu.plan?.simulated).toBe(false);
    expect(gpu.line).toMatch(/^GPUs: 0 \(Fake A, 16384 MiB\), 1 .*one tensor stage per GPU at a time; backend tfjs-node-gpu$/);
    const masked = await planGpus({ kind: 'auto' }, 2, 'tfjs-node-gpu', 'run', withSmi({ CUDA_VISIBLE_DEVICES: '2' }));
    expect(masked.plan?.devices.map((d) => d.index)).toEqual([2]);
    const none = await planGpus({ kind: 'auto' }, 1, 'tfjs-node-gpu', 'run', noSmi);
    expect(none).toEqual({ plan: null, line: 'GPUs: none (no nvidia-smi on PATH); tensor stages compute on backend tfjs-node-gpu' });
  });

  it('a list must be devices nvidia-smi confirms', async () => {
    const two = await planGpus({ kind: 'list', indices: [2, 0] }, 1, 'tfjs-node-gpu', 'worker', withSmi());
    expect(two.plan?.devices.map((d) => d.index)).toEqual([2, 0]);
    await expect(planGpus({ kind: 'list', indices: [5] }, 1, 'tfjs-node-gpu', 'run', withSmi())).rejects.toThrow(
      /--gpus 5: GPU 5 is not among the devices nvidia-smi lists \(0,1,2\)/,
    );
    await expect(planGpus({ kind: 'list', indices: [0] }, 1, 'tfjs-node-gpu', 'run', noSmi)).rejects.toThrow(/no nvidia-smi on PATH/);
  });

  it('refuses devices a CPU backend cannot use, unless they are said to be simulated', async () => {
    for (const backend of ['wasm', 'cpu', 'tfjs-node']) {
      await expect(planGpus({ kind: 'auto' }, 1, backend, 'run', withSmi())).rejects.toThrow(InputError);
      await expect(planGpus({ kind: 'list', indices: [0] }, 1, backend, 'sweep', withSmi())).rejects.toThrow(
        `pipeline sweep: --gpus 0, but backend ${backend} cannot compute on a GPU`,
      );
      // no flag: a CPU backend does not look for GPUs at all
      expect((await planGpus(undefined, 1, backend, 'run', withSmi())).plan).toBeNull();
    }
    const sim = await planGpus({ kind: 'auto' }, 1, 'wasm', 'run', withSmi({ DCSP_GPU_SIMULATE: '1' }));
    expect(sim.plan?.simulated).toBe(true);
    expect(sim.line).toMatch(/SIMULATED \(DCSP_GPU_SIMULATE=1\): placed as if on these GPUs, computed on wasm$/);
    expect((await planGpus({ kind: 'none' }, 1, 'tfjs-node-gpu', 'run', withSmi())).plan).toBeNull();
  });

  it("gives a stage process one card and memory growth, keeping the user's own growth setting", () => {
    const d = { index: 3, name: 'x', memoryMiB: null };
    expect(gpuProcessEnv(d, {})).toEqual({ CUDA_VISIBLE_DEVICES: '3', TF_FORCE_GPU_ALLOW_GROWTH: 'true' });
    expect(gpuProcessEnv(d, { TF_FORCE_GPU_ALLOW_GROWTH: 'false' })).toEqual({ CUDA_VISIBLE_DEVICES: '3', TF_FORCE_GPU_ALLOW_GROWTH: 'false' });
    expect(gpuArgs({ devices: [d, { ...d, index: 1 }], share: 2, simulated: false })).toEqual(['--gpus', '3,1', '--gpu-share', '2']);
    expect(gpuArgs(null)).toEqual(['--gpus', 'none']);
  });
});
