// `pipeline report`: the HTML report of what the cache holds for the profile (and a sweep's table).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InputError } from '../../errors.ts';
import { planPipeline } from '../../exec/plan.ts';
import { intOption } from '../args.ts';
import { defineCommand } from '../command.ts';
import { HELP } from '../help.ts';
import { openPipeline } from '../open-pipeline.ts';

interface SweepResults {
  metric: string;
  variants: { labels: Record<string, string>; ok: boolean; metrics: Record<string, Record<string, unknown>>; stages: Record<string, string> }[];
}

type SweepRows = { variant: Record<string, string>; metrics: Record<string, number | null> }[];

/** A sweep's results.json as the report's table rows: the metric and how many stages each variant ran. */
async function sweepRows(path: string): Promise<SweepRows> {
  const file = resolve(path);
  let data: SweepResults;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new InputError(`pipeline report: cannot read sweep results ${file}: ${(err as Error).message}`);
  }
  const { metricValue } = await import('../../exec/sweep.ts');
  return data.variants.map((v) => {
    const m = metricValue(v.metrics, data.metric);
    return { variant: v.labels, metrics: { [data.metric]: v.ok ? m : null, 'stages run': Object.values(v.stages).filter((x) => x === 'run').length } };
  });
}

export const report = defineCommand({
  name: 'report',
  summary: "write the HTML report of the cached run (optionally with a sweep's results)",
  usage: HELP.report,
  options: { out: { type: 'string', short: 'o' }, sweep: { type: 'string' }, samples: { type: 'string' } },
  async run(values, io) {
    const { p, store } = await openPipeline(values);
    const stage = p.stages.get('report');
    if (!stage) throw new InputError('pipeline report: the pipeline has no report stage to take the inputs from');
    const plans = await planPipeline(p, store);
    const artifacts: Record<string, string> = {};
    for (const [slot, up] of Object.entries(stage.inputs)) {
      const plan = plans.get(up)!;
      if (plan.state === 'cached' && plan.manifest) artifacts[slot] = store.artifactDir(up, plan.manifest.key);
    }
    if (!artifacts.eval) throw new InputError(`pipeline report: eval is not in the cache for profile ${p.profile}; run \`pipeline run --until eval\` first`);
    const sweep = values.sweep ? await sweepRows(values.sweep) : undefined;
    const { writeReport } = await import('../../report/write-report.ts');
    const r = await writeReport({
      artifacts,
      stages: stage.inputs,
      cacheRoot: store.root,
      sweep,
      samples: intOption('report', 'samples', values.samples),
      out: resolve(values.out ?? 'report.html'),
    });
    io.out(`report: ${r.out} (${(r.bytes / 1024).toFixed(0)} KiB, ${r.images} pictures, ${r.stages} stages)`);
    return 0;
  },
});
