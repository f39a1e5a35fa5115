// The micro profile made lighter, for end-to-end tests whose assertions are about keys, bytes,
// schedules, recovery and reports rather than micro's sizes: half the training images, 8 val
// images (the report samples 8 of each split), half the training iterations. A micro run's wall
// time is mostly stage-process starts and fixed costs, so this saves less than running fewer runs
// does, but it adds up over the many runs of these files. Trainings keep five iterations after
// their first checkpoint, so a kill aimed just after that checkpoint still lands mid-stage.
// With --set the run's refs are under `micro@<digest of the settings>`, not `micro`.

/** `path=value` settings, as `--set` takes them */
export const LIGHT_MICRO_SETTINGS = [
  'dataset.toy.counts.train=12',
  'dataset.toy.counts.val=8',
  'dataset.meanSample=12',
  'fcan-pretrain.iterations=10',
  'fcan-pretrain.checkpointEvery=5',
  'train.iterations=10',
  'train.checkpointEvery=5',
  'retrain.iterations=10',
  'retrain.checkpointEvery=5',
] as const;

/** the same, as CLI arguments: `--set a=1 --set b=2 ...` */
export const LIGHT_MICRO: string[] = LIGHT_MICRO_SETTINGS.flatMap((s) => ['--set', s]);

/** what micro is with the light settings, for tests that assert counts (test: micro's own 4 images) */
export const LIGHT_MICRO_SIZES = { train: 12, val: 8, test: 4, iterations: 10, checkpointEvery: 5 } as const;
