// How many threads TensorFlow (tfjs-node) may use for one op. libtensorflow sizes its intra-op
// pool once per process, from TF_NUM_INTRAOP_THREADS (else: every core), when the first op runs;
// nothing changes it afterwards. Left alone, every training child and the per-item workers' process
// each get a pool as wide as the machine, so two trainings side by side run 4 pool threads (plus
// their JS threads) on 2 cores. The executor grants each stage cores (StageJob.workers); this turns
// the grant into TensorFlow's settings, so the stages' threads add up to the cores. The
// inter-op pool runs nothing in eager mode (tfjs-node executes each op synchronously), so it gets
// one thread. The wasm backend is single-threaded under Node and reads none of this.
import { isMainThread } from 'node:worker_threads';

export const INTRA_OP_ENV = 'TF_NUM_INTRAOP_THREADS';
export const INTER_OP_ENV = 'TF_NUM_INTEROP_THREADS';
/** the value this module last set: a child process inherits it, and may be granted another */
const GRANT_ENV = 'DCSP_TF_THREADS_GRANT';

/**
 * Let TensorFlow ops in this process use `threads` threads each. A value the user set in the
 * environment wins; one a grant set (here, or in the parent process it was inherited from) is
 * replaced. Must run on the main thread before the backend starts: the pool, once made, keeps its
 * size, and a worker's process.env is a copy that libtensorflow does not read. Returns the
 * intra-op setting now in the environment.
 */
export function grantTensorThreads(threads: number): string | undefined {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`grantTensorThreads: threads must be a positive integer (got ${threads})`);
  if (!isMainThread) return process.env[INTRA_OP_ENV];
  const current = process.env[INTRA_OP_ENV];
  if (current === undefined || current === process.env[GRANT_ENV]) {
    process.env[INTRA_OP_ENV] = String(threads);
    process.env[GRANT_ENV] = String(threads);
  }
  process.env[INTER_OP_ENV] ??= '1';
  return process.env[INTRA_OP_ENV];
}
