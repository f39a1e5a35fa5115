// Which GPUs a command uses, decided once before anything runs, and the line that says so. Only
// tfjs-node-gpu computes on a GPU; `--gpus` naming devices with any other backend is refused,
// unless DCSP_GPU_SIMULATE=1 says the devices are simulated (a fake nvidia-smi in a test): then
// the slots, the placement and the stage processes' environment are real, the computation runs
// on the CPU backend, and every record of the run says `simulated`.
import { InputError } from '../errors.ts';
import { listDevices, withinVisible, type GpuDevice, type GpusFlag } from './devices.ts';

export const GPU_SIMULATE_ENV = 'DCSP_GPU_SIMULATE';

export interface GpuPlan {
  devices: GpuDevice[];
  /** stages that may hold one card at once (`--gpu-share`) */
  share: number;
  /** devices listed by a (fake) nvidia-smi while the computation runs on a CPU backend */
  simulated: boolean;
}

export function gpusSimulated(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[GPU_SIMULATE_ENV] === '1';
}

/** Whether tensor stages on this backend can compute on a GPU (or are said to, when simulated). */
export function backendUsesGpus(backend: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return backend === 'tfjs-node-gpu' || gpusSimulated(env);
}

function shown(d: GpuDevice): string {
  return `${d.index} (${d.name}${d.memoryMiB === null ? '' : `, ${d.memoryMiB} MiB`})`;
}

/** The first line a command prints about its GPUs. */
export function describeGpus(plan: GpuPlan | null, backend: string, why = ''): string {
  if (!plan) return `GPUs: none${why ? ` (${why})` : ''}; tensor stages compute on backend ${backend}`;
  const per = plan.share === 1 ? 'one tensor stage per GPU at a time' : `up to ${plan.share} tensor stages per GPU at a time (--gpu-share)`;
  const sim = plan.simulated ? `; SIMULATED (${GPU_SIMULATE_ENV}=1): placed as if on these GPUs, computed on ${backend}` : '';
  return `GPUs: ${plan.devices.map(shown).join(', ')}; ${per}; backend ${backend}${sim}`;
}

/**
 * The command's GPUs. Flag absent: the devices nvidia-smi lists when the backend can use them,
 * else none without asking. `none`: none. `auto`: what nvidia-smi lists within
 * CUDA_VISIBLE_DEVICES. A list: those indices, each one nvidia-smi must list. Throws InputError
 * (exit 2, one line) for devices a backend cannot use, or a list nvidia-smi does not confirm.
 */
export async function planGpus(
  flag: GpusFlag | undefined,
  share: number,
  backend: string,
  command: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ plan: GpuPlan | null; line: string }> {
  const usable = backendUsesGpus(backend, env);
  if (flag?.kind === 'none') return { plan: null, line: describeGpus(null, backend, '--gpus none') };
  if (flag === undefined && !usable) return { plan: null, line: describeGpus(null, backend) };
  const listed = await listDevices(env);
  const refuse = (what: string): never => {
    throw new InputError(
      `pipeline ${command}: --gpus ${what}, but backend ${backend} cannot compute on a GPU (only tfjs-node-gpu can: npm run tfjs-native -- --gpu); use --gpus none`,
    );
  };
  if (flag?.kind === 'list') {
    const asked = flag.indices.join(',');
    if ('missing' in listed) throw new InputError(`pipeline ${command}: --gpus ${asked}: ${listed.missing}, so no GPU can be confirmed`);
    const visible = withinVisible(listed.devices, env.CUDA_VISIBLE_DEVICES);
    const devices = flag.indices.map((i) => {
      const d = visible.find((x) => x.index === i);
      if (!d)
        throw new InputError(
          `pipeline ${command}: --gpus ${asked}: GPU ${i} is not among the devices nvidia-smi lists${env.CUDA_VISIBLE_DEVICES !== undefined ? ' within CUDA_VISIBLE_DEVICES' : ''} (${visible.map((x) => x.index).join(',') || 'none'})`,
        );
      return d;
    });
    if (!usable) refuse(asked);
    return planOf(devices, share, backend, env);
  }
  if ('missing' in listed) return { plan: null, line: describeGpus(null, backend, listed.missing) };
  const devices = withinVisible(listed.devices, env.CUDA_VISIBLE_DEVICES);
  if (!devices.length) return { plan: null, line: describeGpus(null, backend, 'nvidia-smi lists no device here') };
  if (!usable) refuse('auto finds GPUs');
  return planOf(devices, share, backend, env);
}

function planOf(devices: GpuDevice[], share: number, backend: string, env: NodeJS.ProcessEnv): { plan: GpuPlan; line: string } {
  const plan = { devices, share, simulated: backend !== 'tfjs-node-gpu' && gpusSimulated(env) };
  return { plan, line: describeGpus(plan, backend) };
}

export const ALLOW_GROWTH_ENV = 'TF_FORCE_GPU_ALLOW_GROWTH';

/**
 * What a stage process holding `device` runs with: only that card visible, and TensorFlow taking
 * its memory as it needs it (by default it reserves nearly all of a card at start, so a second
 * process on a shared card would fail) unless the user said otherwise.
 */
export function gpuProcessEnv(device: GpuDevice, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return { CUDA_VISIBLE_DEVICES: String(device.index), [ALLOW_GROWTH_ENV]: env[ALLOW_GROWTH_ENV] ?? 'true' };
}

/** `--gpus`/`--gpu-share` for a child `pipeline run` drawing from the same devices (a sweep's variant). */
export function gpuArgs(plan: GpuPlan | null): string[] {
  return plan ? ['--gpus', plan.devices.map((d) => d.index).join(','), '--gpu-share', String(plan.share)] : ['--gpus', 'none'];
}
