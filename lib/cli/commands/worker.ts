// `pipeline worker`: takes stage and item jobs from Redis (the bullmq executor's other end) and
// computes them with the local executor's code (lib/distributed/worker.ts).
import { join } from 'node:path';
import { InputError } from '../../errors.ts';
import { PROJECT_ROOT } from '../../paths.ts';
import { intOption } from '../args.ts';
import { prepareCacheDir } from '../cache-dir.ts';
import { defineCommand } from '../command.ts';
import { commandGpus, GPU_OPTIONS } from '../gpus-option.ts';
import { HELP } from '../help.ts';
import { locate } from '../open-pipeline.ts';
import { stringOption } from '../option-value.ts';
import { REDIS_OPTIONS, redisFromOptions } from '../redis-options.ts';

export const worker = defineCommand({
  name: 'worker',
  summary: 'take stage and item jobs from Redis (run/sweep --executor bullmq) and compute them',
  usage: HELP.worker,
  computes: true,
  options: { ...REDIS_OPTIONS, ...GPU_OPTIONS, concurrency: { type: 'string' } },
  async run(values, io) {
    // a worker runs the stages its own checkout defines, from whatever folder it is started in
    const pipeline = stringOption(values, 'pipeline', 'DCSP_PIPELINE') ?? join(PROJECT_ROOT, 'pipeline.yaml');
    const { cache } = locate({ pipeline, cache: values.cache });
    // before the cache is touched: the worker computes with this machine's backend (a job of another numerics is refused)
    const { readNumericsSetting } = await import('../../tensor/numerics.ts');
    const gpus = await commandGpus('worker', values, readNumericsSetting().setting.backend, false);
    prepareCacheDir(cache);
    const target = redisFromOptions('worker', values);
    const concurrency = intOption('worker', 'concurrency', values.concurrency);
    if (concurrency === 0) throw new InputError('pipeline worker: --concurrency must be at least 1');
    const { StageRegistry } = await import('../../distributed/stage-registry.ts');
    const registry = StageRegistry.load(pipeline);
    io.err(gpus.line);
    const { runWorker } = await import('../../distributed/worker.ts');
    return runWorker({ target, cacheRoot: cache, registry, concurrency: concurrency ?? 1, gpus: gpus.plan, log: io.err });
  },
});
