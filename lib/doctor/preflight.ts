// The short form of `pipeline doctor` that `run` prints before a long run: the training stages
// that will run, their estimated compute from a step measured here, and the backend. Only plans
// whose training is large (pixels x samples above a bound no toy run comes near) pay for the
// measurement; the rest print nothing. An estimate beyond REFUSE_ABOVE is refused unless the user
// says yes: such a figure is nearly always a typo (`iterations=1e12`), and a run started on it
// would hold the machine for good.
// This module is loaded by every `run`: the estimate, tfjs and the measurer load only when needed.
import { basename } from 'node:path';
import type { ResolvedStage } from '../dag/resolve.ts';
import { InputError } from '../errors.ts';
import type { Measurer } from './estimate.ts';

/** compute above which a run needs `--yes`: 30 days */
export const REFUSE_ABOVE = 30 * 86400;

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
 * run's, for context), or none when their training is small or under an hour. Throws an InputError
 * (one line: the estimate and how to go on) when the estimate exceeds REFUSE_ABOVE and `yes` is not set.
 */
export async function preflight(
  profile: string,
  stages: ResolvedStage[],
  willRun: (stage: string) => boolean,
  opts: { measure?: Measurer; yes?: boolean } = {},
): Promise<string[]> {
  const training = stages.filter((s) => willRun(s.name) && TRAINING.has(basename(s.module, '.ts')));
  if (!training.length || !largeTraining(training)) return [];
  const { estimateRun } = await import('./estimate.ts');
  const { formatDuration } = await import('../format.ts');
  const { isolatedMeasurer } = await import('./isolated.ts');
  const names = new Set(training.map((s) => s.name));
  const isolated = opts.measure ? null : isolatedMeasurer();
  // the trainings one after another (as one GPU, or a busy CPU, would run them)
  const { withSourceShape } = await import('./source-shape.ts');
  const e = await estimateRun(withSourceShape(stages).stages, opts.measure ?? isolated!, {
    slots: { cores: 1, gpus: 0, jobs: 1 },
    trainingThreads: 1,
    only: (n) => names.has(n),
    trainingExtras: false,
  });
  // the backend the measurements ran on; this process loads none (libtensorflow's start-up lines
  // would print here) unless a given measurer ran in it
  const info = isolated?.backend() ?? (await (await import('../tensor/backend.ts')).initBackend({ log: () => {} }));
  const seconds = e.compute;
  if (seconds < 3600) return [];
  if (seconds > REFUSE_ABOVE && !opts.yes) {
    throw new InputError(
      `preflight: the training stages of this run (${[...names].join(', ')}) need about ${days(seconds)} of compute on ${info.name}, measured here, more than the ${days(REFUSE_ABOVE)} a run may take unasked; check their iterations, or pass --yes to run it anyway`,
    );
  }
  return [
    `preflight: the training stages of this run (${[...names].join(', ')}) need about ${formatDuration(seconds)} of compute on ${info.name} (${info.detail}), from steps measured here`,
    ...(info.name !== 'tfjs-node-gpu' && seconds > 86400
      ? [`preflight: that is ${(seconds / 86400).toFixed(1)} days on this machine; the profile is meant for a GPU`]
      : []),
    `preflight: \`pipeline doctor --profile ${profile}\` gives the details (data, weights, disk, every stage)`,
  ];
}

const days = (seconds: number): string => `${Math.round(seconds / 86400).toLocaleString('en-US')} days`;
