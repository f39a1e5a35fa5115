// Where a stage computed: the backend, the GPU it held (index, name, and whether the devices were
// simulated) or the CPU, the threads it had, when it started, and what its process saw of the
// GPU variables. A run fact (runs.jsonl, `pipeline report`), never part of a key: the same key
// must give the same bytes on any card of one kind (docs/voc-and-gpus.md, "Where a stage ran").
import type { ResolvedStage } from '../dag/load.ts';
import { ALLOW_GROWTH_ENV } from '../gpu/plan.ts';
import type { NumericsSetting } from '../tensor/numerics.ts';
import type { GpuHold } from './gpu-slots.ts';

/**
 * Whether a stage holds a GPU slot when the command has GPUs: a tensor stage, or an onnx stage
 * whose sessions run on onnxruntime's CUDA provider (or on simulated GPUs, whose placement is what
 * a test looks at: the sessions then run on the CPU provider, as the stage's key says).
 */
export function holdsGpu(s: Pick<ResolvedStage, 'tensors' | 'onnx'>, numerics: NumericsSetting, simulated: boolean): boolean {
  return s.tensors || (s.onnx && (numerics.onnx?.provider === 'cuda' || simulated));
}

/** What a stage computes with, for its run facts: the tfjs backend, onnxruntime's provider, or none. */
export function computesOn(s: Pick<ResolvedStage, 'tensors' | 'onnx'>, numerics: NumericsSetting): string {
  if (s.tensors) return numerics.backend;
  return s.onnx ? `onnxruntime-${numerics.onnx?.provider ?? 'cpu'}` : 'none';
}

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
  /**
   * A per-item stage's extra cards (gpu-shards.ts), beside `gpu` (its own card, held to the end):
   * each held from `started` to `ended`, taken before that card was let go, so no two holders'
   * times on one card overlap. Absent: the stage had one card (or none).
   */
  shards?: ShardPlace[];
}

/** An extra card a per-item stage held for a share of its items. */
export interface ShardPlace {
  gpu: { index: number; name: string; slot: number; simulated?: true };
  started: string;
  ended: string;
  /** items its process computed (0: nothing was left for it, no process ran) */
  items: number;
  threads: number;
  /** the GPU variables its process saw; absent: no process ran, or it failed */
  env?: SeenEnv;
}

export function gpuOf(hold: GpuHold, simulated: boolean): ShardPlace['gpu'] {
  return { index: hold.device.index, name: hold.device.name, slot: hold.slot, ...(simulated ? { simulated: true as const } : {}) };
}

export function placeOf(
  backend: string,
  hold: GpuHold | null,
  simulated: boolean,
  threads: number,
  started: Date,
  env?: SeenEnv,
  shards: ShardPlace[] = [],
): StagePlace {
  return {
    backend,
    gpu: hold ? gpuOf(hold, simulated) : null,
    threads,
    started: started.toISOString(),
    ...(env ? { env } : {}),
    ...(shards.length ? { shards } : {}),
  };
}

/** `GPU 1 (Tesla T4)`, `GPUs 1, 0 (Tesla T4)` or `CPU`, with the backend and threads: the report's "where" cell. */
export function describePlace(p: StagePlace): string {
  return `${describeCards(p.gpu, p.shards?.map((s) => s.gpu) ?? [])}, ${p.backend}, ${p.threads} thread${p.threads === 1 ? '' : 's'}`;
}

/** The cards a stage held, its own first: `GPU 1 (Tesla T4)`, `GPUs 1, 0 (Tesla T4)`, or `CPU`. */
function describeCards(own: { index: number; name: string; simulated?: boolean } | null, extra: { index: number; name: string }[]): string {
  if (!own) return 'CPU';
  const cards = [own, ...extra];
  const names = [...new Set(cards.map((c) => c.name))];
  const listed = names.length === 1 ? `${cards.map((c) => c.index).join(', ')} (${names[0]})` : cards.map((c) => `${c.index} (${c.name})`).join(', ');
  return `GPU${cards.length > 1 ? 's' : ''} ${listed}${own.simulated ? ' simulated' : ''}`;
}
