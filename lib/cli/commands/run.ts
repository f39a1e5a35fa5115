// `pipeline run`: every stale stage of the profile (or of --until's ancestry), on the chosen executor.
import { InputError } from '../../errors.ts';
import { runPipeline } from '../../exec/executor.ts';
import { GpuSlots } from '../../exec/gpu-slots.ts';
import { planPipeline } from '../../exec/plan.ts';
import { formatDuration } from '../../format.ts';
import { intOption } from '../args.ts';
import { prepareCacheDir } from '../cache-dir.ts';
import { defineCommand } from '../command.ts';
import { EXECUTOR_OPTIONS, openExecutor, remoteChosen } from '../executors/registry.ts';
import { commandGpus, computeLines, GPU_OPTIONS } from '../gpus-option.ts';
import { headline } from '../format/headline.ts';
import { HELP } from '../help.ts';
import { openPipeline } from '../open-pipeline.ts';
import { TENSORBOARD_OPTIONS, tensorboardRoot } from '../tensorboard-option.ts';

export const run = defineCommand({
  name: 'run',
  summary: 'run the DAG (only stale stages run)',
  usage: HELP.run,
  computes: true,
  options: {
    until: { type: 'string' },
    force: { type: 'string', multiple: true },
    isolate: { type: 'boolean' },
    workers: { type: 'string' },
    jobs: { type: 'string', short: 'j' },
    json: { type: 'boolean' },
    'no-preflight': { type: 'boolean' },
    yes: { type: 'boolean', short: 'y' },
    ...TENSORBOARD_OPTIONS,
    ...EXECUTOR_OPTIONS,
    ...GPU_OPTIONS,
  },
  async run(values, io) {
    const until = values.until;
    const force = values.force ?? [];
    const workers = intOption('run', 'workers', values.workers);
    const jobs = intOption('run', 'jobs', values.jobs);
    const tensorboard = tensorboardRoot(values);
    const { p, store } = await openPipeline(values, { demand: [...(until ? [until] : []), ...force] });
    // a --gpus the backend cannot use is refused before the cache is created or touched, as bad input is
    const gpus = await commandGpus('run', values, p.numerics.backend, remoteChosen(values));
    prepareCacheDir(store.root);
    // loaded now, not after hours of training: by then the bundle may have been rebuilt (a pull)
    const runReport = import('../run-report.ts');
    runReport.catch(() => undefined); // a failure is reported where the page is written
    for (const s of [...(until ? [until] : []), ...force]) {
      if (!p.stages.has(s)) throw new InputError(`unknown stage '${s}' (stages: ${p.order.join(', ')})`);
    }
    const t0 = performance.now();
    const { largeTraining, preflight } = await import('../../doctor/preflight.ts');
    const stages = p.order.map((n) => p.stages.get(n)!);
    if (!values['no-preflight'] && largeTraining(stages)) {
      // a long run says first how long its training will take here
      const plans = await planPipeline(p, store);
      const inRun = until ? new Set([until, ...p.ancestors(until)]) : null;
      const willRun = (n: string) => (inRun === null || inRun.has(n)) && (plans.get(n)?.state !== 'cached' || force.includes(n));
      for (const line of await preflight(p.profile, stages, willRun, { yes: Boolean(values.yes) })) io.err(line);
    }
    io.err(`profile ${p.profile}${p.overrides.length ? ` with ${p.overrides.map((o) => o.raw).join(' ')}` : ''}; cache ${store.root}`);
    for (const line of computeLines(p, gpus)) io.err(line);
    for (const note of p.notes ?? []) io.err(`note: ${note}`);
    const remote = await openExecutor({ command: 'run', values, store, log: io.err });
    const summary = await runPipeline(p, store, {
      until,
      force,
      isolate: Boolean(values.isolate),
      workers,
      jobs,
      log: io.err,
      tensorboard,
      ...(remote ? { remote, gpuJobs: gpus.jobs } : {}),
      ...(gpus.plan && !remote ? { gpus: new GpuSlots(store.gpusDir, gpus.plan) } : {}),
    }).finally(() => remote?.close());
    const seconds = (performance.now() - t0) / 1000;
    const page = summary.failed
      ? null
      : await runReport
          .then((m) => m.writeRunReport(p, store, summary.outcomes, tensorboard))
          .catch((err: Error) => {
            // the results are committed whatever happens to this page: say so, and point at the artifact
            io.err(`WARNING: the report page with this run's facts was not written: ${err.message.split('\n')[0]}`);
            return null;
          });
    if (values.json)
      io.out(
        JSON.stringify({
          ...summary,
          outcomes: summary.outcomes.map(({ manifest, ...o }) => ({ ...o, metrics: manifest.metrics })),
          seconds,
          ...(page ? { report: page } : {}),
        }),
      );
    else {
      const ran = summary.outcomes.filter((o) => o.status === 'run').length;
      io.err(summary.outcomes.map((o) => `  ${o.stage.padEnd(16)} ${o.status.padEnd(7)} ${o.key.slice(0, 12)}  ${formatDuration(o.seconds)}`).join('\n'));
      io.err(`${ran} stage(s) ran, ${summary.outcomes.length - ran} cached, in ${formatDuration(seconds)}`);
      for (const line of headline(summary.outcomes, store, page)) io.out(line);
    }
    for (const f of summary.failures ?? []) {
      io.err(f.error.startsWith('stage ') ? f.error : `stage ${f.stage} failed: ${f.error}`);
    }
    // bad input data found by a stage (a folder dataset's tags or masks) exits as any bad input does
    return summary.failed ? (summary.failed.input ? 2 : 1) : 0;
  },
});
