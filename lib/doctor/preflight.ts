// The short form of `pipeline doctor` that `run` prints before a long run: the training stages
// that will run, their estimated compute from a step measured here, and the backend. Only plans
// whose training is large (pixels x samples above a bound no toy run comes near) pay for the
// measurement; the rest print nothing.
// This module is loaded by every `run`: the estimate, tfjs and the measurer load only when needed.
import { basename } from 'node:path';
import type { ResolvedStage } from '../dag/resolve.ts';
import type { Measurer } from './estimate.ts';

/** crop^2 x batch x iterations summed over the training stages; the toy profile is about 1e8 */
const LARGE = 1e10;
const TRAINING = new Set(['fcan-pretrain', 'train', 'retrain', 'saliency-train']);

/** Whether a run of these stages could train long enough to be worth a preflight. */
export function largeTraining(stages: ResolvedStage[]): boolean {
  return trainingVolume(stages) >= LARGE;
}

export function trainingVolume(stages: ResolvedStage[]): number {
  let v = 0;
  for (const s of stages) {
    if (!TRAINING.has(basename(s.module, '.ts'))) continue;
    const side = Number(s.params.crop ?? s.params.size ?? 224);
    v += side * side * Number(s.params.batch) * Number(s.params.iterations);
  }
  return v;
}

/**
 * Lines to print before a run that computes the stages `willRun` picks out of `stages` (all of the
 * run's, for context), or none when their training is small or under an hour.
 */
export async function preflight(profile: string, stages: ResolvedStage[], willRun: (stage: string) => boolean, opts: { measure?: Measurer } = {}): Promise<string[]> {
  const training = stages.filter((s) => willRun(s.name) && TRAINING.has(basename(s.module, '.ts')));
  if (!training.length || !largeTraining(training)) return [];
  const { initBackend } = await import('../tensor/backend.ts');
  const { estimateRun } = await import('./estimate.ts');
  const { formatDuration } = await import('../format.ts');
  const { isolatedMeasurer } = await import('./measure.ts');
  const info = await initBackend({ log: () => {} });
  const names = new Set(training.map((s) => s.name));
  const e = await estimateRun(stages, opts.measure ?? isolatedMeasurer(), 1, (n) => names.has(n));
  const seconds = e.seconds;
  if (seconds < 3600) return [];
  return [
    `preflight: the training stages of this run (${[...names].join(', ')}) need about ${formatDuration(seconds)} of compute on ${info.name} (${info.detail}), from steps measured here`,
    ...(info.name !== 'tfjs-node-gpu' && seconds > 86400 ? [`preflight: that is ${(seconds / 86400).toFixed(1)} days on this machine; the profile is meant for a GPU`] : []),
    `preflight: \`pipeline doctor --profile ${profile}\` gives the details (data, weights, disk, every stage)`,
  ];
}
