// Stages on `pipeline worker` processes (any machines mounting this cache), handed out through
// Redis as BullMQ jobs (lib/distributed).
import { REDIS_HELP, REDIS_OPTIONS, redisFromOptions } from '../redis-options.ts';
import type { ExecutorPlugin } from './executor.ts';

export const bullmq: ExecutorPlugin = {
  name: 'bullmq',
  summary: '`pipeline worker`s via Redis (on any machine mounting this cache)',
  options: REDIS_OPTIONS,
  optionHelp: REDIS_HELP,
  async open({ command, values, store, log }) {
    const target = redisFromOptions(command, values);
    const { BullmqStages } = await import('../../distributed/coordinator.ts');
    return BullmqStages.open(target, store, log);
  },
};
