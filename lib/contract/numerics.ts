// The numerics part of a tensor stage's key. The same code, params and inputs give other bytes on
// another tfjs backend, on another TensorFlow build, with another intra-op thread count, and with
// TensorFlow's nondeterministic kernels (lib/tensor/numerics.ts says what was measured). So a stage
// that computes with tensors carries, in its key, what it computes with; a stage that touches no
// tensors carries nothing and keeps one key on every backend.
import { isNative, type Numerics, type NumericsSetting } from '../tensor/numerics.ts';

export type { Numerics, NumericsSetting };

/**
 * A tensor stage's numerics under a setting. A per-item stage's items run side by side on worker
 * threads, each op on one TensorFlow thread, whatever the setting; a whole stage (a training) runs
 * its ops on `setting.threads`. wasm runs single-threaded under Node and has no such switches; the
 * plain-JS cpu backend neither.
 */
export function stageNumerics(setting: NumericsSetting, perItem: boolean): Numerics {
  if (!isNative(setting.backend)) return { backend: setting.backend };
  return {
    backend: setting.backend,
    tensorflow: setting.tensorflow ?? 'unknown',
    threads: perItem ? 1 : setting.threads,
    deterministic: setting.deterministic,
  };
}

/** Computed with the opt-out (`--nondeterministic`): recomputing the key may give other bytes. */
export function isNondeterministic(n: Numerics | undefined): boolean {
  return n?.deterministic === false;
}

function show(v: unknown): string {
  return v === undefined ? '-' : String(v);
}

/**
 * Why a stage's numerics make it stale against the artifact it last committed (for `status`), or
 * null when they are the same. A backend change says only that: the rest follows from it.
 */
export function numericsChange(before: Numerics | undefined, after: Numerics | undefined): string | null {
  if (before === undefined && after === undefined) return null;
  if (before === undefined) return `numerics joined the key (backend ${after!.backend}): every tensor stage is keyed anew once`;
  if (after === undefined) return `numerics left the key (was backend ${before.backend})`;
  if (before.backend !== after.backend) return `numerics changed: backend ${before.backend} -> ${after.backend}`;
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const diffs = fields.filter((f) => before[f] !== after[f]).map((f) => `${f} ${show(before[f])} -> ${show(after[f])}`);
  return diffs.length ? `numerics changed: ${diffs.join(', ')}` : null;
}
