// --gpus auto|none|LIST and --gpu-share N, shared by run, sweep and worker (lib/gpu/plan.ts decides).
import { parseGpusFlag, parseGpuShare } from '../gpu/devices.ts';
import { backendUsesGpus, planGpus, type GpuPlan } from '../gpu/plan.ts';
import type { Options } from './args.ts';
import type { Values } from './command.ts';

export const GPU_OPTIONS = {
  gpus: { type: 'string' },
  'gpu-share': { type: 'string' },
} as const satisfies Options;

export interface CommandGpus {
  /** this machine's GPUs for the tensor stages; null: none */
  plan: GpuPlan | null;
  /** with `--executor bullmq`: tensor stages are GPU jobs for the workers' slots */
  jobs: boolean;
  /** the line the command prints first */
  line: string;
}

/**
 * The command's GPUs. A command whose stages run on remote workers does not look for GPUs here:
 * its tensor stages become GPU jobs when the backend can use a GPU and `--gpus none` is not given.
 */
export async function commandGpus(command: string, values: Values<typeof GPU_OPTIONS>, backend: string, remote: boolean): Promise<CommandGpus> {
  const flag = parseGpusFlag(values.gpus, command);
  const share = parseGpuShare(values['gpu-share'], command);
  if (remote) {
    const jobs = flag?.kind !== 'none' && backendUsesGpus(backend);
    return {
      plan: null,
      jobs,
      line: `GPUs: ${jobs ? "tensor stages go to the workers' GPU slots (pipeline worker --gpus)" : 'none asked of the workers'}; backend ${backend}`,
    };
  }
  const { plan, line } = await planGpus(flag, share, backend, command);
  return { plan, jobs: false, line };
}
