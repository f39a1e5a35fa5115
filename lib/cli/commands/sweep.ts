// `pipeline sweep`: a grid of variants (or seeds) over one cache, tabulated.
import { resolve } from 'node:path';
import { loadPipeline, type Pipeline } from '../../dag/load.ts';
import { InputError } from '../../errors.ts';
import { formatDuration } from '../../format.ts';
import { Store } from '../../store/store.ts';
import { intOption } from '../args.ts';
import { prepareCacheDir } from '../cache-dir.ts';
import { defineCommand } from '../command.ts';
import { EXECUTOR_OPTIONS, openExecutor, remoteChosen } from '../executors/registry.ts';
import { commandGpus, computeLines, GPU_OPTIONS } from '../gpus-option.ts';
import { HELP } from '../help.ts';
import { locate } from '../open-pipeline.ts';
import { TENSORBOARD_OPTIONS, tensorboardRoot } from '../tensorboard-option.ts';

export const sweep = defineCommand({
  name: 'sweep',
  summary: 'run a grid of variants over one cache and tabulate the results',
  usage: HELP.sweep,
  computes: true,
  options: {
    grid: { type: 'string', multiple: true, short: 'g' },
    file: { type: 'string', short: 'f' },
    jobs: { type: 'string', short: 'j' },
    until: { type: 'string' },
    workers: { type: 'string' },
    metric: { type: 'string' },
    seeds: { type: 'string' },
    json: { type: 'boolean' },
    ...TENSORBOARD_OPTIONS,
    ...EXECUTOR_OPTIONS,
    ...GPU_OPTIONS,
  },
  async run(values, io) {
    const { axisFromGrid, loadSweepFile, variantsOf } = await import('../../dag/sweep-spec.ts');
    const fromFile = values.file ? await loadSweepFile(values.file) : undefined;
    const spec = {
      profile: values.profile ?? fromFile?.profile,
      set: [...(fromFile?.set ?? []), ...(values.set ?? [])],
      axes: [...(fromFile?.axes ?? []), ...(values.grid ?? []).map(axisFromGrid)],
    };
    // validate every variant before running any, so a typo fails in a second, not after an hour
    const { file, cache } = locate(values);
    let p: Pipeline | null = null;
    for (const v of variantsOf(spec)) p = await loadPipeline(file, { profile: spec.profile, set: spec.set, overrides: v.overrides, cacheDir: cache });
    const until = values.until;
    if (until && !p!.stages.has(until)) throw new InputError(`unknown stage '${until}' (stages: ${p!.order.join(', ')})`);
    const metric = values.metric ?? 'eval.meanIoU';
    if (!/^[a-z][a-z0-9-]*(\.[A-Za-z0-9_]+)+$/.test(metric))
      throw new InputError(`pipeline sweep: --metric must be stage.key (or deeper, stage.key.field), e.g. eval.meanIoU`);
    const jobs = intOption('sweep', 'jobs', values.jobs) ?? 1;
    const workers = intOption('sweep', 'workers', values.workers);
    const seeds = intOption('sweep', 'seeds', values.seeds);
    if (seeds === 0) throw new InputError('pipeline sweep: --seeds must be at least 1');
    // with no axis, the seeds are the variants: the configured pipeline's spread over seeds
    if (!spec.axes.length && (seeds ?? 1) < 2)
      throw new InputError('pipeline sweep: give at least one --grid stage.param=v1,v2, a --file, or --seeds N (N >= 2)');
    const gpus = await commandGpus('sweep', values, p!.numerics.backend, remoteChosen(values));
    prepareCacheDir(cache);
    const store = new Store(cache);
    for (const line of computeLines(p!, gpus)) io.err(line);
    const remote = await openExecutor({ command: 'sweep', values, store, log: io.err });
    const { runSweep } = await import('../../exec/sweep.ts');
    const r = await runSweep(spec, store, {
      pipelineFile: resolve(file),
      until,
      jobs,
      workers,
      metric,
      seeds,
      log: io.err,
      tensorboard: tensorboardRoot(values),
      gpus: gpus.plan,
      ...(remote ? { remote, gpuJobs: gpus.jobs } : {}),
    }).finally(() => remote?.close());
    if (values.json) io.out(JSON.stringify(r));
    else {
      io.out(r.table);
      const total = r.stageRuns + r.stageHits;
      io.out(
        `\n${r.variants.length} variants in ${formatDuration(r.seconds)}; ${r.stageRuns} of ${total} stage executions computed, ${r.stageHits} served from the cache`,
      );
      io.out(`results: ${r.files.join(', ')}`);
    }
    const failed = r.variants.filter((v) => !v.ok);
    for (const f of failed)
      io.err(
        `failed: ${Object.entries(f.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}: ${f.error}`,
      );
    return failed.length ? 1 : 0;
  },
});
