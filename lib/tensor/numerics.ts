// What TensorFlow computes with in this process, and the settings that choose it. A tensor stage's
// bytes depend on the backend, on the TensorFlow build a native backend loads, on the intra-op
// thread count (Eigen and oneDNN split a reduction into one partial sum per thread) and on whether
// TensorFlow may use its nondeterministic kernels: all of it is read here without starting
// TensorFlow (a run's keys are known before any stage starts), becomes part of each tensor stage's
// key (lib/contract/numerics.ts), and is put into the environment of the process that computes the
// stage, before TensorFlow reads it. Light: no tfjs import.
//
// Measured on tfjs-node (TensorFlow 2.21.0 CPU, micro profile; docs/voc-and-gpus.md, "Numerics"): a training's
// bytes differ between 1 and 2 intra-op threads and between oneDNN on and off (each of the four
// reproduced itself); with oneDNN on, one inference stage with the same inputs and threads gave 3
// different contents in 11 runs (one value of a uint8 attention map off by one), and 6 processes
// training the toy network on 2 threads 2 different sets of weights (bench/numerics.ts); with
// oneDNN off, 6 runs of 6 were equal, in both.
import { existsSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { PROJECT_ROOT } from '../paths.ts';
import { BACKEND_ENV, BACKEND_NAMES, BACKEND_PINNED_ENV, parseBackendName, type BackendName } from './backend-names.ts';
import { readOnnxProvider, type OnnxProviderChoice } from './onnx-provider.ts';

/** The machine-wide choice a run's tensor stages compute with. */
export interface NumericsSetting {
  backend: BackendName;
  /** native backends: the TensorFlow build their binding loads (the pip wheel its libtensorflow came from) */
  tensorflow: string | null;
  /** native backends: intra-op threads of every op of a whole-stage tensor stage (a training) */
  threads: number;
  /** native backends: TensorFlow's deterministic ops and no oneDNN custom ops (the default; false by opt-out) */
  deterministic: boolean;
  /** the onnxruntime provider of the onnx detectors (onnx-provider.ts); absent: the CPU's */
  onnx?: OnnxProviderChoice;
}

/** What one tensor stage computes with: part of its key (lib/contract/numerics.ts makes it from a setting). */
export interface Numerics {
  backend: string;
  tensorflow?: string;
  threads?: number;
  deterministic?: boolean;
  [field: string]: string | number | boolean | undefined;
}

/** intra-op threads of a training on a native backend (`--tf-threads`) */
export const THREADS_ENV = 'DCSP_TF_THREADS';
/** '1': let TensorFlow use its faster nondeterministic kernels (`--nondeterministic`) */
export const NONDETERMINISTIC_ENV = 'DCSP_TF_NONDETERMINISTIC';
/** canonical JSON of the numerics this process's TensorFlow was set up with (inherited by its threads) */
export const NUMERICS_ENV = 'DCSP_NUMERICS';
/**
 * A training's intra-op threads unless set: a constant, not the machine's core count, so a key
 * means the same thing on every machine with this build; 2 because on the 2-core machines this
 * project is tuned on a training step ran 1.3x faster on 2 threads than on 1 (bench/numerics.ts,
 * docs/voc-and-gpus.md, "Numerics"), and a bigger machine runs several stages side by side.
 */
export const DEFAULT_THREADS = 2;

export const INTRA_OP_ENV = 'TF_NUM_INTRAOP_THREADS';
export const INTER_OP_ENV = 'TF_NUM_INTEROP_THREADS';
// Read by TensorFlow's C++ runtime the first time an op asks whether determinism is required
// (tsl::OpDeterminismRequired, third_party/xla/xla/tsl/util/determinism.cc in TensorFlow 2.21,
// formerly tensorflow/core/util/determinism.cc): the same flag Python's enable_op_determinism()
// sets. tfjs-node executes ops through the C API (TFE_Execute), so the environment is its only
// switch. On GPU it selects deterministic cuDNN algorithms and kernels without atomics (or raises
// for an op that has none); on CPU, where our ops are deterministic already, it makes unseeded
// random ops raise (test/tensor/numerics.test.ts checks that it is read).
export const DETERMINISTIC_OPS_ENV = 'TF_DETERMINISTIC_OPS';
// oneDNN's custom ops (on by default in x86 Linux builds) are what TensorFlow warns "may round
// differently"; read once when TensorFlow registers its kernels (IsMklEnabled).
export const ONEDNN_ENV = 'TF_ENABLE_ONEDNN_OPTS';

const PACKAGE: Record<'tfjs-node' | 'tfjs-node-gpu', string> = { 'tfjs-node': '@tensorflow/tfjs-node', 'tfjs-node-gpu': '@tensorflow/tfjs-node-gpu' };

export function isNative(backend: string): backend is 'tfjs-node' | 'tfjs-node-gpu' {
  return backend === 'tfjs-node' || backend === 'tfjs-node-gpu';
}

/** Where the project's code loads a package from (the backend packages are optional: null when absent). */
function packageDir(pkg: string): string | null {
  try {
    return path.dirname(createRequire(path.join(PROJECT_ROOT, 'package.json')).resolve(`${pkg}/package.json`));
  } catch {
    return null;
  }
}

/** Whether a tfjs-node package has a built binding (what `npm run tfjs-native` makes). */
function hasBinding(dir: string): boolean {
  const lib = path.join(dir, 'lib');
  if (!existsSync(lib)) return false;
  return readdirSync(lib).some((d) => /^napi-v\d+$/.test(d) && existsSync(path.join(lib, d, 'tfjs_binding.node')));
}

/** A GPU the CUDA driver would show this process (without loading CUDA). */
function gpuVisible(env: NodeJS.ProcessEnv): boolean {
  const visible = env.CUDA_VISIBLE_DEVICES;
  if (visible !== undefined && (visible.trim() === '' || visible.trim() === '-1')) return false;
  const gpus = '/proc/driver/nvidia/gpus';
  return existsSync(gpus) && readdirSync(gpus).length > 0;
}

/**
 * The TensorFlow build a native package's binding loads: lib/native links the package's deps/ to
 * a layout named after the wheel it came from (`libtensorflow-tensorflow_cpu-2.21.0-cp311-...`),
 * and the binding loads libtensorflow from there. A deps/ folder of the package's own download
 * is named by its library's version.
 */
export function tensorflowBuild(backend: 'tfjs-node' | 'tfjs-node-gpu'): string | null {
  const dir = packageDir(PACKAGE[backend]);
  if (dir === null) return null;
  const deps = path.join(dir, 'deps');
  try {
    return path.basename(readlinkSync(deps)).replace(/^libtensorflow-/, '');
  } catch {
    // not a link: the package's own libtensorflow, if any
  }
  try {
    return `libtensorflow-${path.basename(realpathSync(path.join(deps, 'lib', 'libtensorflow.so'))).replace(/^libtensorflow\.so\.?/, '')}`;
  } catch {
    return null;
  }
}

/** Why a backend would not start here, or null when it would (checked on disk, nothing loaded). */
function unavailable(name: BackendName, env: NodeJS.ProcessEnv): string | null {
  switch (name) {
    case 'tfjs-node-gpu':
    case 'tfjs-node': {
      const dir = packageDir(PACKAGE[name]);
      if (dir === null) return `${PACKAGE[name]} is not installed`;
      if (!hasBinding(dir)) return `${PACKAGE[name]} has no built binding; run: npm run tfjs-native${name === 'tfjs-node-gpu' ? ' -- --gpu' : ''}`;
      if (name === 'tfjs-node-gpu' && !gpuVisible(env)) return 'no GPU visible (no /proc/driver/nvidia/gpus entry, or CUDA_VISIBLE_DEVICES hides them)';
      return null;
    }
    case 'wasm':
      return packageDir('@tensorflow/tfjs-backend-wasm') === null ? '@tensorflow/tfjs-backend-wasm is not installed' : null;
    case 'cpu':
      return null;
  }
}

function positiveInt(value: string, source: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new Error(`${source}: expected a whole number of threads from 1 to 1024, got '${value}'`);
  return n;
}

/**
 * The setting a run's tensor stages compute with: the backend (the pinned one, else the first
 * available from DCSP_BACKEND's preference on, as lib/tensor/backend.ts would choose it), its
 * TensorFlow build, a training's threads (DCSP_TF_THREADS, default DEFAULT_THREADS) and whether
 * TensorFlow must be deterministic (unless DCSP_TF_NONDETERMINISTIC=1), and the onnx detectors'
 * provider (onnx-provider.ts). `notes`: a preferred
 * backend that is unavailable, and why. Throws on a bad setting (the CLI makes it exit 2).
 */
export function readNumericsSetting(env: NodeJS.ProcessEnv = process.env): { setting: NumericsSetting; notes: string[] } {
  const notes: string[] = [];
  const pinned = env[BACKEND_PINNED_ENV];
  let backend: BackendName | undefined;
  if (pinned) backend = parseBackendName(pinned, `env ${BACKEND_PINNED_ENV}`);
  else {
    const wanted = env[BACKEND_ENV] ? parseBackendName(env[BACKEND_ENV], `env ${BACKEND_ENV}`) : undefined;
    for (const name of BACKEND_NAMES.slice(wanted ? BACKEND_NAMES.indexOf(wanted) : 0)) {
      const why = unavailable(name, env);
      if (why === null) {
        backend = name;
        break;
      }
      if (name === wanted) notes.push(`WARNING: backend: requested ${name} is unavailable (${why}); falling back`);
    }
  }
  const threadsValue = env[THREADS_ENV];
  const nondeterministic = env[NONDETERMINISTIC_ENV];
  if (nondeterministic !== undefined && !['', '0', '1'].includes(nondeterministic))
    throw new Error(`env ${NONDETERMINISTIC_ENV}: expected 1 or 0, got '${nondeterministic}'`);
  const setting: NumericsSetting = {
    backend: backend ?? 'cpu',
    tensorflow: backend !== undefined && isNative(backend) ? tensorflowBuild(backend) : null,
    threads: threadsValue === undefined || threadsValue === '' ? DEFAULT_THREADS : positiveInt(threadsValue, `env ${THREADS_ENV}`),
    deterministic: nondeterministic !== '1',
  };
  setting.onnx = readOnnxProvider(setting.backend, env);
  return { setting, notes };
}

// what this process's TensorFlow was set up with (the main thread's copy; threads read NUMERICS_ENV)
let inUse: string | null = null;

/**
 * Set this process up to compute with `n` (a tensor stage's numerics, from its key), before
 * TensorFlow starts: the backend is pinned (a process that cannot start it fails rather than
 * compute other bytes), a native backend's TensorFlow build must be the one the key names, and its
 * threads and kernels are put where libtensorflow reads them. libtensorflow reads them once per
 * process, so a process set up one way refuses another (a training runs in a child process of its
 * own for that). Main thread only: a worker thread's process.env is a copy libtensorflow never sees.
 */
export function useNumerics(n: Numerics): void {
  const id = numericsId(n);
  if (inUse === id) return;
  if (!isMainThread) throw new Error('useNumerics: TensorFlow reads its settings from the process environment, which only the main thread sets');
  if (inUse !== null)
    throw new Error(
      `this process computes with ${describeNumerics(JSON.parse(inUse) as Numerics)} already; it cannot also compute with ${describeNumerics(n)} (run the stage isolated)`,
    );
  const backend = parseBackendName(n.backend, "the key's numerics");
  const pinned = process.env[BACKEND_PINNED_ENV];
  if (pinned && pinned !== backend) throw new Error(`the key was made for backend ${backend}, but this process runs ${pinned}`);
  if (isNative(backend)) {
    const build = tensorflowBuild(backend);
    if (build !== n.tensorflow)
      throw new Error(`the key was made for ${backend} on TensorFlow ${n.tensorflow}, but this machine's ${backend} loads ${build ?? 'no TensorFlow'}`);
    process.env[INTRA_OP_ENV] = String(n.threads ?? 1);
    // eager ops run one at a time (tfjs-node executes each synchronously): the inter-op pool is idle
    process.env[INTER_OP_ENV] = '1';
    process.env[DETERMINISTIC_OPS_ENV] = n.deterministic === false ? '0' : '1';
    process.env[ONEDNN_ENV] = n.deterministic === false ? '1' : '0';
  }
  process.env[BACKEND_PINNED_ENV] = backend;
  process.env[NUMERICS_ENV] = id;
  inUse = id;
}

/** Numerics as one string, the same whatever the order of its fields. */
function numericsId(n: Numerics): string {
  return JSON.stringify(
    Object.fromEntries(
      Object.entries(n)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1)),
    ),
  );
}

/** Whether this process (the one this worker thread belongs to, too) was set up for `n`. */
export function computesWith(n: Numerics): boolean {
  return process.env[NUMERICS_ENV] === numericsId(n);
}

/** One line for a log: `tfjs-node (TensorFlow X, 2 threads per op, deterministic kernels)`. */
export function describeNumerics(n: Numerics): string {
  if (!isNative(n.backend)) return n.backend;
  return `${n.backend} (TensorFlow ${n.tensorflow}, ${n.threads} thread${n.threads === 1 ? '' : 's'} per op, ${n.deterministic === false ? 'NONDETERMINISTIC kernels' : 'deterministic kernels'})`;
}

/** The run's setting in one line: `tfjs-node (TensorFlow X; trainings on 2 threads per op, ...)`. */
export function describeSetting(s: NumericsSetting): string {
  if (!isNative(s.backend)) return s.backend;
  const kernels = s.deterministic
    ? 'deterministic kernels'
    : `NONDETERMINISTIC kernels (${NONDETERMINISTIC_ENV}=1): no equality is claimed for what the tensor stages commit`;
  return `${s.backend} (TensorFlow ${s.tensorflow}; trainings on ${s.threads} thread${s.threads === 1 ? '' : 's'} per op, per-item stages on 1; ${kernels})`;
}
