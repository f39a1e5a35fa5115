// `pipeline doctor`: the backend, the downloads and the run's compute and wall time, measured on this machine.
import { intOption } from '../args.ts';
import { defineCommand } from '../command.ts';
import { HELP } from '../help.ts';
import { openPipeline } from '../open-pipeline.ts';

export const doctor = defineCommand({
  name: 'doctor',
  summary: "preflight: backend and GPU libraries, data and weights, the run's compute and wall time measured here",
  usage: HELP.doctor,
  // it measures on the backend
  computes: true,
  options: { json: { type: 'boolean' }, gpus: { type: 'string' }, jobs: { type: 'string', short: 'j' }, budget: { type: 'string' } },
  async run(values, io) {
    // seam: a GPU count until lib/exec's device discovery (`run --gpus auto|none|LIST`) is there to read
    const gpus = values.gpus === 'none' ? 0 : intOption('doctor', 'gpus', values.gpus);
    const jobs = intOption('doctor', 'jobs', values.jobs);
    const budget = intOption('doctor', 'budget', values.budget);
    const { p, store } = await openPipeline(values);
    const { runDoctor, formatDoctor } = await import('../../doctor/doctor.ts');
    const report = await runDoctor({
      profile: p.profile,
      stages: p.order.map((n) => p.stages.get(n)!),
      dataDir: store.dataDir,
      gpus,
      jobs,
      budget,
      log: (line) => io.err(line),
    });
    if (values.json) io.out(JSON.stringify(report, null, 1));
    else for (const line of formatDoctor(report)) io.out(line);
    return 0;
  },
});
