// The command-line side of running beyond one machine: `--executor bullmq --redis URL` for run and
// sweep, and the `pipeline worker` command. lib/cli/main.ts only spreads these options and calls in.
// Redis options are the same for both ends: a URL (user and password in it, rediss:// for TLS) and,
// for TLS, the CA to trust and a client certificate; each also from the environment, so that no
// secret need be on a command line (which other users of the machine can read).
import { join } from 'node:path';
import { InputError } from '../errors.ts';
import type { RemoteStages } from '../exec/compute-stage.ts';
import { PROJECT_ROOT } from '../paths.ts';
import type { Store } from '../store/store.ts';
import type { Options } from '../cli/args.ts';
import { redisTarget, type RedisTarget } from './connection.ts';

const REDIS_OPTIONS: Options = {
  redis: { type: 'string' },
  'redis-ca': { type: 'string' },
  'redis-cert': { type: 'string' },
  'redis-key': { type: 'string' },
  queue: { type: 'string' },
};

export const EXECUTOR_OPTIONS: Options = {
  executor: { type: 'string' },
  ...REDIS_OPTIONS,
};

export const WORKER_OPTIONS: Options = {
  ...REDIS_OPTIONS,
  concurrency: { type: 'string' },
};

type Values = Record<string, unknown>;

const given = (values: Values, option: string, env: string): string | undefined => (values[option] as string | undefined) ?? (process.env[env] || undefined);

/** The Redis the options (or DCSP_REDIS, DCSP_REDIS_CA, DCSP_REDIS_CERT, DCSP_REDIS_KEY) name. */
function target(command: string, values: Values): RedisTarget {
  const url = given(values, 'redis', 'DCSP_REDIS');
  if (!url) throw new InputError(`pipeline ${command}: give --redis redis://[USER:PASSWORD@]HOST:PORT (or set DCSP_REDIS)`);
  const tls = { ca: given(values, 'redis-ca', 'DCSP_REDIS_CA'), cert: given(values, 'redis-cert', 'DCSP_REDIS_CERT'), key: given(values, 'redis-key', 'DCSP_REDIS_KEY') };
  return redisTarget(url, values.queue as string | undefined, tls);
}

/**
 * The remote executor the options ask for, connected; null for the local one. Checked before
 * anything runs: a bad option or refused credentials are exit 2, an unreachable Redis a one-line failure.
 */
export async function openRemote(command: string, values: Values, store: Store, log: (line: string) => void): Promise<(RemoteStages & { close(): Promise<void> }) | null> {
  const executor = (values.executor as string | undefined) ?? 'local';
  if (executor !== 'local' && executor !== 'bullmq') throw new InputError(`pipeline ${command}: --executor must be local or bullmq, got '${executor}'`);
  if (executor === 'local') {
    const stray = Object.keys(REDIS_OPTIONS).find((o) => values[o] !== undefined);
    if (stray) throw new InputError(`pipeline ${command}: --${stray} goes with --executor bullmq`);
    return null;
  }
  const { BullmqStages } = await import('./coordinator.ts');
  return BullmqStages.open(target(command, values), store, log);
}

/**
 * The worker's pipeline file: --pipeline or DCSP_PIPELINE, else this checkout's pipeline.yaml (a
 * worker runs the stages its own checkout defines, from whatever folder it is started in).
 */
export function workerPipeline(values: Values): string {
  return given(values, 'pipeline', 'DCSP_PIPELINE') ?? join(PROJECT_ROOT, 'pipeline.yaml');
}

export async function workerCommand(values: Values, cacheRoot: string, concurrency: number | undefined, log: (line: string) => void): Promise<number> {
  const redis = target('worker', values);
  if (concurrency === 0) throw new InputError('pipeline worker: --concurrency must be at least 1');
  const { StageRegistry } = await import('./stage-registry.ts');
  const registry = StageRegistry.load(workerPipeline(values));
  const { runWorker } = await import('./worker.ts');
  return runWorker({ target: redis, cacheRoot, registry, concurrency: concurrency ?? 1, log });
}
