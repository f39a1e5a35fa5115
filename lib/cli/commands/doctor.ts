// `pipeline doctor`: the backend, the downloads and the run's compute and wall time, measured on this machine.
import { join } from 'node:path';
import { InputError } from '../../errors.ts';
import { PROJECT_ROOT } from '../../paths.ts';
import { intOption } from '../args.ts';
import { defineCommand, type CommonValues } from '../command.ts';
import { ALLOW_GROWTH_ENV } from '../../gpu/plan.ts';
import { commandGpus, GPU_OPTIONS } from '../gpus-option.ts';
import { HELP } from '../help.ts';
import { locate, openPipeline } from '../open-pipeline.ts';

export const doctor = defineCommand({
  name: 'doctor',
  summary: "preflight: backend and GPU libraries, data and weights, the run's compute and wall time measured here",
  usage: HELP.doctor,
  // it measures on the backend
  computes: true,
  options: {
    json: { type: 'boolean' },
    jobs: { type: 'string', short: 'j' },
    budget: { type: 'string' },
    until: { type: 'string' },
    'no-tensorboard': { type: 'boolean' },
    ...GPU_OPTIONS,
  },
  async run(values, io) {
    const jobs = intOption('doctor', 'jobs', values.jobs);
    const budget = intOption('doctor', 'budget', values.budget);
    const until = values.until;
    const { p, store } = await openPipeline(values, { demand: until ? [until] : [] });
    if (until && !p.stages.has(until)) throw new InputError(`unknown stage '${until}' (stages: ${p.order.join(', ')})`);
    // the stages the run will compute: all of them, or --until's and what it needs, as the run's --until
    const inRun = until ? new Set([until, ...p.ancestors(until)]) : null;
    // the run's --gpus and --gpu-share, read as the run reads them (a bad one is refused the same way)
    const gpus = await commandGpus('doctor', values, p.numerics.backend, false);
    io.err(gpus.line);
    // doctor's own process loads the backend to name it: on a GPU it then takes only the memory it
    // uses (TensorFlow reserves nearly all of a card by default), leaving the card to the measurements
    if (gpus.plan) process.env[ALLOW_GROWTH_ENV] ??= 'true';
    const { runDoctor, formatDoctor } = await import('../../doctor/doctor.ts');
    const report = await runDoctor({
      profile: p.profile,
      stages: p.order.filter((n) => inRun === null || inRun.has(n)).map((n) => p.stages.get(n)!),
      dataDir: store.dataDir,
      gpus: gpus.plan,
      jobs,
      budget,
      probes: !values['no-tensorboard'],
      runStart: statusCommand(values),
      log: (line) => io.err(line),
    });
    if (values.json) io.out(JSON.stringify(report, null, 1));
    else for (const line of formatDoctor(report)) io.out(line);
    return 0;
  },
});

/** `pipeline status` of the same pipeline, cache, profile and settings: what a run does before its first stage. */
function statusCommand(values: CommonValues): string[] {
  const { file, cache } = locate(values);
  const argv = [join(PROJECT_ROOT, 'bin/pipeline.mjs'), 'status', '--pipeline', file, '--cache', cache];
  if (values.profile !== undefined) argv.push('--profile', values.profile);
  for (const s of values.set ?? []) argv.push('--set', s);
  if (values.backend !== undefined) argv.push('--backend', values.backend);
  if (values['tf-threads'] !== undefined) argv.push('--tf-threads', values['tf-threads']);
  if (values.nondeterministic) argv.push('--nondeterministic');
  return argv;
}
