// The default: every stage computed by this process (per-item stages on its worker threads,
// isolated stages in child processes).
import type { ExecutorPlugin } from './executor.ts';

export const local: ExecutorPlugin = {
  name: 'local',
  summary: 'this process, its worker threads and child processes',
  options: {},
  optionHelp: '',
  open: async () => null,
};
