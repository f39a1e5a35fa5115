// --gpus auto|none|LIST and --gpu-share N, shared by run, sweep and worker (lib/gpu/plan.ts decides).
import type { Pipeline } from '../dag/load.ts';
import { parseGpusFlag, parseGpuShare } from '../gpu/devices.ts';
import { backendUsesGpus, gpusSimulated, planGpus, type GpuPlan } from '../gpu/plan.ts';
import { holdsGpu } from '../exec/stage-place.ts';
import { describeSetting } from '../tensor/numerics.ts';
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

/**
 * What run and sweep say first about where their stages compute: the backend, the GPUs, and, when
 * a stage runs onnxruntime sessions (an isnet or onnx detector), the provider they run on and why.
 */
export function computeLines(p: Pipeline, gpus: CommandGpus): string[] {
  const lines = [`backend: ${describeSetting(p.numerics)}`, gpus.line];
  const onnx = p.order.filter((n) => p.stages.get(n)!.onnx);
  if (onnx.length) {
    const choice = p.numerics.onnx ?? { provider: 'cpu', why: 'the default' };
    // the executor's rule (holdsGpu), on the GPUs this command has or gives its workers' slots
    const simulated = gpus.plan?.simulated ?? gpusSimulated();
    const holds = (gpus.plan !== null || gpus.jobs) && holdsGpu({ tensors: false, onnx: true }, p.numerics, simulated);
    const slot = holds ? `, each holding a GPU slot${simulated ? ' (simulated)' : ''}` : '';
    lines.push(`onnxruntime: ${onnx.join(', ')} on its ${choice.provider === 'cuda' ? 'CUDA' : 'CPU'} provider${slot} (${choice.why})`);
  }
  return lines;
}
