// The command-line side of running beyond one machine: `--executor bullmq --redis URL` for run and
// sweep, and the `pipeline worker` command. lib/cli/main.ts only spreads these options and calls in.
import { InputError } from '../errors.ts';
import type { RemoteStages } from '../exec/compute-stage.ts';
import type { Store } from '../store/store.ts';
import type { Options } from '../cli/args.ts';
import { redisTarget } from './connection.ts';

export const EXECUTOR_OPTIONS: Options = {
  executor: { type: 'string' },
  redis: { type: 'string' },
  queue: { type: 'string' },
};

export const WORKER_OPTIONS: Options = {
  redis: { type: 'string' },
  queue: { type: 'string' },
  concurrency: { type: 'string' },
};

type Values = Record<string, unknown>;

function redisUrl(command: string, values: Values): string {
  const url = (values.redis as string | undefined) ?? process.env.DCSP_REDIS;
  if (!url) throw new InputError(`pipeline ${command}: give --redis redis://HOST:PORT (or set DCSP_REDIS)`);
  return url;
}

/**
 * The remote executor the options ask for, connected; null for the local one. Checked before
 * anything runs: a bad option is exit 2, an unreachable Redis a one-line failure.
 */
export async function openRemote(command: string, values: Values, store: Store, root: string, log: (line: string) => void): Promise<(RemoteStages & { close(): Promise<void> }) | null> {
  const executor = (values.executor as string | undefined) ?? 'local';
  if (executor !== 'local' && executor !== 'bullmq') throw new InputError(`pipeline ${command}: --executor must be local or bullmq, got '${executor}'`);
  if (executor === 'local') {
    if (values.redis !== undefined || values.queue !== undefined) throw new InputError(`pipeline ${command}: --redis and --queue go with --executor bullmq`);
    return null;
  }
  const target = redisTarget(redisUrl(command, values), values.queue as string | undefined);
  const { BullmqStages } = await import('./coordinator.ts');
  return BullmqStages.open(target, store, root, log);
}

export async function workerCommand(values: Values, cacheRoot: string, concurrency: number | undefined, log: (line: string) => void): Promise<number> {
  const target = redisTarget(redisUrl('worker', values), values.queue as string | undefined);
  if (concurrency === 0) throw new InputError('pipeline worker: --concurrency must be at least 1');
  const { runWorker } = await import('./worker.ts');
  return runWorker({ target, cacheRoot, concurrency: concurrency ?? 1, log });
}
