// Where a stage computed: the backend, the GPU it held (index, name, and whether the devices were
// simulated) or the CPU, the threads it had, when it started, and what its process saw of the
// GPU variables. A run fact (runs.jsonl, `pipeline report`), never part of a key: the same key
// must give the same bytes on any card of one kind (docs/voc-and-gpus.md, "Where a stage ran").
import { ALLOW_GROWTH_ENV } from '../gpu/plan.ts';
import type { GpuHold } from './gpu-slots.ts';

/** The GPU variables a stage's process saw (null: unset). */
export interface SeenEnv {
  CUDA_VISIBLE_DEVICES: string | null;
  [ALLOW_GROWTH_ENV]: string | null;
}

export function seenEnv(env: NodeJS.ProcessEnv = process.env): SeenEnv {
  return { CUDA_VISIBLE_DEVICES: env.CUDA_VISIBLE_DEVICES ?? null, [ALLOW_GROWTH_ENV]: env[ALLOW_GROWTH_ENV] ?? null };
}

export interface StagePlace {
  backend: string;
  /** the card held; null: the CPU */
  gpu: { index: number; name: string; slot: number; simulated?: true } | null;
  /** intra-op threads of a whole-stage training; worker threads of a per-item stage */
  threads: number;
  /** when it started computing (its GPU slot taken, if any) */
  started: string;
  /** the GPU variables its process saw */
  env?: SeenEnv;
}

export function placeOf(backend: string, hold: GpuHold | null, simulated: boolean, threads: number, started: Date, env?: SeenEnv): StagePlace {
  return {
    backend,
    gpu: hold ? { index: hold.device.index, name: hold.device.name, slot: hold.slot, ...(simulated ? { simulated: true as const } : {}) } : null,
    threads,
    started: started.toISOString(),
    ...(env ? { env } : {}),
  };
}

/** `GPU 1 (Tesla T4)` or `CPU`, with the backend and threads: the report's "where" cell. */
export function describePlace(p: StagePlace): string {
  const where = p.gpu ? `GPU ${p.gpu.index} (${p.gpu.name})${p.gpu.simulated ? ' simulated' : ''}` : 'CPU';
  return `${where}, ${p.backend}, ${p.threads} thread${p.threads === 1 ? '' : 's'}`;
}
