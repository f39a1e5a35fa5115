// The numerics setting (read without starting TensorFlow) and a process set up with it: the
// environment TensorFlow reads, and, on tfjs-node, that TensorFlow 2.21 really reads it through
// the C API tfjs-node uses: with determinism required, an unseeded random op is refused (the
// only effect of TF_DETERMINISTIC_OPS visible on a CPU build: a GPU's deterministic kernels cannot
// be seen without one), and oneDNN's start-up line appears only when it is on.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_THREADS, readNumericsSetting, type Numerics } from '../../lib/tensor/numerics.ts';

const ROOT = path.join(import.meta.dirname, '..', '..');
const PROBE = path.join(ROOT, 'test/fixtures/numerics/probe.ts');
const clean = { DCSP_BACKEND: undefined, DCSP_BACKEND_PINNED: undefined, DCSP_TF_THREADS: undefined, DCSP_TF_NONDETERMINISTIC: undefined };
const setting = (env: NodeJS.ProcessEnv) => readNumericsSetting({ ...clean, ...env }).setting;

const native = setting({ DCSP_BACKEND: 'tfjs-node' });
const BUILT = native.backend === 'tfjs-node';

interface Probe {
  tried: string[];
  [env: string]: string | string[] | null;
}

/** A fresh process that tries each numerics in turn (useNumerics), then with 'tensorflow' starts the backend and runs an unseeded random op. */
function probe(numerics: Numerics[], what = ''): { out: Probe; stderr: string } {
  const args = ['--import', 'tsx', PROBE, JSON.stringify(numerics), what];
  // a fresh environment for TensorFlow's settings: only what useNumerics puts there counts
  const env: NodeJS.ProcessEnv = { ...process.env, TF_CPP_MIN_LOG_LEVEL: '1' };
  for (const k of [
    'TF_NUM_INTRAOP_THREADS',
    'TF_NUM_INTEROP_THREADS',
    'TF_DETERMINISTIC_OPS',
    'TF_ENABLE_ONEDNN_OPTS',
    'DCSP_BACKEND_PINNED',
    'DCSP_NUMERICS',
    'DCSP_BACKEND',
  ])
    delete env[k];
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', env, timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  return { out: JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Probe, stderr: r.stderr };
}

describe('numerics setting', () => {
  it('reads the backend, threads and the deterministic default from the environment', () => {
    // the onnx detectors' provider comes with it (test/tensor/onnx-provider.test.ts): the CPU's off a GPU backend
    expect(setting({ DCSP_BACKEND: 'wasm' })).toEqual({
      backend: 'wasm',
      tensorflow: null,
      threads: DEFAULT_THREADS,
      deterministic: true,
      onnx: { provider: 'cpu', why: 'backend wasm computes on no GPU' },
    });
    expect(setting({ DCSP_BACKEND: 'cpu', DCSP_TF_THREADS: '3', DCSP_TF_NONDETERMINISTIC: '1' })).toEqual({
      backend: 'cpu',
      tensorflow: null,
      threads: 3,
      deterministic: false,
      onnx: { provider: 'cpu', why: 'backend cpu computes on no GPU' },
    });
    // a pinned backend is the run's: taken as is
    expect(setting({ DCSP_BACKEND: 'wasm', DCSP_BACKEND_PINNED: 'cpu' }).backend).toBe('cpu');
  });

  it('refuses a bad setting in one line naming it', () => {
    expect(() => setting({ DCSP_TF_THREADS: '0' })).toThrow(/^env DCSP_TF_THREADS: expected a whole number of threads from 1 to 1024, got '0'$/);
    expect(() => setting({ DCSP_TF_THREADS: '2.5' })).toThrow(/DCSP_TF_THREADS/);
    expect(() => setting({ DCSP_TF_NONDETERMINISTIC: 'yes' })).toThrow(/^env DCSP_TF_NONDETERMINISTIC: expected 1 or 0, got 'yes'$/);
    expect(() => setting({ DCSP_BACKEND: 'tpu' })).toThrow(/unknown backend 'tpu'/);
  });

  it('a process set up for wasm is pinned to it and refuses other numerics afterwards', () => {
    const { out } = probe([{ backend: 'wasm' }, { backend: 'wasm' }, { backend: 'cpu' }]);
    expect(out.tried.slice(0, 2)).toEqual(['accepted', 'accepted']);
    expect(out.tried[2]).toMatch(/^this process computes with wasm already; it cannot also compute with cpu/);
    expect(out.DCSP_BACKEND_PINNED).toBe('wasm');
    expect(out.TF_NUM_INTRAOP_THREADS).toBeNull();
  });
});

describe.runIf(BUILT)('numerics on tfjs-node (its binding is built here)', () => {
  const deterministic: Numerics = { backend: 'tfjs-node', tensorflow: native.tensorflow!, threads: 3, deterministic: true };

  it('names the TensorFlow build the binding loads', () => {
    expect(native.tensorflow).toMatch(/^tensorflow(_cpu)?-\d+\.\d+\.\d+/);
  });

  it("puts the key's threads and kernels where TensorFlow reads them, and TensorFlow honours them", () => {
    const on = probe([deterministic], 'tensorflow');
    expect(on.out).toMatchObject({
      backend: 'tfjs-node',
      TF_NUM_INTRAOP_THREADS: '3',
      TF_NUM_INTEROP_THREADS: '1',
      TF_DETERMINISTIC_OPS: '1',
      TF_ENABLE_ONEDNN_OPTS: '0',
    });
    expect(on.out.unseededRandom).toMatch(/When determinism is enabled, random ops must have a seed specified/);
    expect(on.stderr).not.toMatch(/oneDNN custom operations are on/);
    const off = probe([{ ...deterministic, deterministic: false }], 'tensorflow');
    expect(off.out).toMatchObject({ TF_DETERMINISTIC_OPS: '0', TF_ENABLE_ONEDNN_OPTS: '1', unseededRandom: '4 values' });
    expect(off.stderr).toMatch(/oneDNN custom operations are on/);
  });

  it('refuses a key made for another TensorFlow build, and a second setting in one process', () => {
    const { out } = probe([{ ...deterministic, tensorflow: 'tensorflow_cpu-1.0.0-none' }, deterministic, { ...deterministic, threads: 1 }]);
    expect(out.tried[0]).toMatch(/^the key was made for tfjs-node on TensorFlow tensorflow_cpu-1\.0\.0-none, but this machine's tfjs-node loads /);
    expect(out.tried[1]).toBe('accepted');
    expect(out.tried[2]).toMatch(/computes with tfjs-node \(.*3 threads per op.*\) already; it cannot also compute with tfjs-node \(.*1 thread per op/);
  });
});
