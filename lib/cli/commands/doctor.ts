// `pipeline doctor`: the backend, the downloads and the run's compute, measured on this machine.
import { defineCommand } from '../command.ts';
import { HELP } from '../help.ts';
import { openPipeline } from '../open-pipeline.ts';

export const doctor = defineCommand({
  name: 'doctor',
  summary: "preflight: backend and GPU libraries, data and weights, the run's compute time measured here",
  usage: HELP.doctor,
  // it measures on the backend
  computes: true,
  options: { json: { type: 'boolean' } },
  async run(values, io) {
    const { p, store } = await openPipeline(values);
    const { runDoctor, formatDoctor } = await import('../../doctor/doctor.ts');
    io.err(`doctor: measuring training steps, a forward pass, the detector and the CRF on this machine (profile ${p.profile})...`);
    const report = await runDoctor({ profile: p.profile, stages: p.order.map((n) => p.stages.get(n)!), dataDir: store.dataDir });
    if (values.json) io.out(JSON.stringify(report, null, 1));
    else for (const line of formatDoctor(report)) io.out(line);
    return 0;
  },
});
