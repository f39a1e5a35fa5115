// Picks the tfjs backend once at start-up: tfjs-node-gpu (if it loads and sees a GPU), tfjs-node,
// wasm (SIMD), then cpu. tfjs-node(-gpu) need a binding built against libtensorflow (npm run
// tfjs-native, lib/native), so they are optional and loaded by dynamic import; wasm is what tests
// and CPU users get until then.

import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { BACKEND_ENV, BACKEND_NAMES, BACKEND_PIN_ENV, BACKEND_PINNED_ENV, parseBackendName, type BackendName } from './backend-names.ts';
import { registerNativeTrainingKernels } from './native-kernels.ts';
import { registerWasmTrainingKernels } from './wasm-kernels.ts';

export { BACKEND_ENV, BACKEND_NAMES, BACKEND_PIN_ENV, parseBackendName, type BackendName };

export interface BackendInfo {
  /** which of our choices runs */
  name: BackendName;
  /** tfjs's own name for it (tf.getBackend()): 'tensorflow', 'wasm' or 'cpu' */
  tfName: string;
  /** e.g. 'simd, 1 thread' or 'GPU' */
  detail: string;
  /** one line per candidate that was tried and skipped, saying why */
  skipped: string[];
}

export interface InitBackendOptions {
  /** start the search here (falls through to the next ones if unavailable); default env DCSP_BACKEND */
  prefer?: BackendName;
  /** wasm threads wanted; the threaded wasm build does not run under Node, so > 1 is reported and ignored */
  threads?: number;
  /** where the one-line summary and warnings go; default console.error */
  log?: (line: string) => void;
  /** where fallback warnings also go when `log` is given (it may be a quiet one); default console.error, null: only `log` */
  warn?: ((line: string) => void) | null;
  /** module loader, replaceable in tests to simulate a backend package failing to load */
  importModule?: (specifier: string) => Promise<unknown>;
}

let active: { key: string; info: BackendInfo } | null = null;
// Calls are served one at a time: two stages of one process that start together must not both
// search (the second would see a half-initialised engine and could land on another backend).
let queue: Promise<unknown> = Promise.resolve();

/** The backend this process runs on, or null before the first initBackend. */
export function activeBackend(): BackendInfo | null {
  return active?.info ?? null;
}

/**
 * Choose and initialise the backend. Calling it again with the same preference returns the
 * same info without logging again; concurrent calls wait for the first one's choice.
 */
export function initBackend(opts: InitBackendOptions = {}): Promise<BackendInfo> {
  const result = queue.then(() => choose(opts));
  queue = result.catch(() => undefined);
  return result;
}

async function choose(opts: InitBackendOptions): Promise<BackendInfo> {
  const log = opts.log ?? ((line: string) => console.error(line));
  // fallbacks are never quiet, whatever logger the caller passed for the summary line
  const warn = (line: string): void => {
    log(line);
    if (opts.log !== undefined && opts.warn !== null) (opts.warn ?? ((l: string) => console.error(l)))(line);
  };
  const pinned = process.env[BACKEND_PINNED_ENV];
  const envValue = pinned || process.env[BACKEND_ENV];
  const prefer =
    opts.prefer ?? (envValue !== undefined && envValue !== '' ? parseBackendName(envValue, `env ${pinned ? BACKEND_PINNED_ENV : BACKEND_ENV}`) : undefined);
  const strict = Boolean(pinned) && opts.prefer === undefined;
  const threads = Math.max(1, Math.floor(opts.threads ?? 1));
  const key = `${prefer ?? 'auto'}|${threads}`;
  if (active !== null && active.key === key && tf.getBackend() === active.info.tfName) return active.info;

  const importModule = opts.importModule ?? ((s: string) => import(s));
  const start = prefer === undefined ? 0 : BACKEND_NAMES.indexOf(prefer);
  const skipped: string[] = [];
  for (const name of BACKEND_NAMES.slice(start)) {
    let result: { tfName: string; detail: string };
    try {
      result = await tryBackend(name, threads, importModule, log);
    } catch (err) {
      if (strict) throw new Error(`backend ${name}, which this run chose, does not start in this process (pid ${process.pid}): ${firstLine(err)}`);
      const why = `${name} unavailable: ${firstLine(err)}`;
      skipped.push(why);
      if (name === prefer) warn(`WARNING: backend: requested ${name} is unavailable (${firstLine(err)}); falling back`);
      continue;
    }
    const info: BackendInfo = { name, tfName: result.tfName, detail: result.detail, skipped };
    if (name === 'cpu') {
      warn('WARNING: running on the plain JS cpu backend; training will be 100x slower than wasm.');
      for (const s of skipped) warn(`WARNING:   ${s}`);
    }
    active = { key, info };
    if (process.env[BACKEND_PIN_ENV] === '1' && !pinned) {
      // the run's choice: announced whatever the caller's logger, and inherited by its workers
      process.env[BACKEND_PINNED_ENV] = name;
      warn(`backend: ${name} (${info.detail})`);
    } else log(`backend: ${name} (${info.detail})`);
    return info;
  }
  throw new Error(`no tfjs backend could be initialised:\n  ${skipped.join('\n  ')}`);
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0];
}

async function tryBackend(
  name: BackendName,
  threads: number,
  importModule: (s: string) => Promise<unknown>,
  log: (line: string) => void,
): Promise<{ tfName: string; detail: string }> {
  switch (name) {
    case 'tfjs-node-gpu':
    case 'tfjs-node': {
      try {
        await importModule(`@tensorflow/${name}`);
      } catch (err) {
        // installed (an optional dependency) but its binding not built: say how to build it
        if (firstLine(err).includes('tfjs_binding.node'))
          throw new Error(`@tensorflow/${name} has no built binding; run: npm run tfjs-native${name === 'tfjs-node-gpu' ? ' -- --gpu' : ''}`);
        throw err;
      }
      // Both packages register a backend called 'tensorflow' in the shared tfjs-core engine.
      if (!(await tf.setBackend('tensorflow'))) throw new Error(`@tensorflow/${name} loaded but its backend did not initialise`);
      registerNativeTrainingKernels();
      const backend = tf.backend() as { isUsingGpuDevice?: boolean };
      if (name === 'tfjs-node-gpu') {
        if (backend.isUsingGpuDevice !== true) throw new Error('loaded, but TensorFlow sees no GPU (CUDA 11.2 / cuDNN 8.1 installed?)');
        return { tfName: 'tensorflow', detail: 'libtensorflow, GPU' };
      }
      return { tfName: 'tensorflow', detail: 'libtensorflow, CPU' };
    }
    case 'wasm': {
      const wasm = (await importModule('@tensorflow/tfjs-backend-wasm')) as typeof import('@tensorflow/tfjs-backend-wasm');
      wasm.setWasmPaths(wasmDistDir());
      // The threaded build needs SharedArrayBuffer workers; under Node this flag is false.
      const canThread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      if (threads > 1 && canThread === true) wasm.setThreadsCount(threads);
      if (!(await tf.setBackend('wasm'))) throw new Error('tfjs-backend-wasm did not initialise (are its .wasm files present?)');
      await tf.ready();
      registerWasmTrainingKernels();
      const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
      const multi = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT');
      if (threads > 1 && !multi) log(`backend: wasm threads=${threads} requested, but multi-threaded wasm is unavailable here; using 1 thread`);
      const n = multi ? wasm.getThreadsCount() : 1;
      return { tfName: 'wasm', detail: `${simd ? 'simd' : 'no simd'}, ${n} thread${n === 1 ? '' : 's'}` };
    }
    case 'cpu': {
      if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not initialise');
      return { tfName: 'cpu', detail: 'plain JS' };
    }
  }
}

/** The directory holding tfjs-backend-wasm's .wasm binaries (with trailing slash, as setWasmPaths wants). */
export function wasmDistDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
}
