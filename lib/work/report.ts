// The report stage's work (stages/report.ts): the HTML report over its input artifacts, holding results only (the run's
// times and cache hits are not part of any artifact; `pipeline report` adds them).
import { writeReport } from '../report/write-report.ts';
import type { RunWork, StageContext } from '../contract/stage.ts';
import type { Json } from '../store/canonical-json.ts';
import type { ReportParams } from '../../stages/report.ts';

export const work = { run: runReport } satisfies RunWork<ReportParams>;

async function runReport(ctx: StageContext<ReportParams>): Promise<Record<string, Json>> {
  const artifacts = Object.fromEntries(Object.entries(ctx.inputs).map(([slot, art]) => [slot, art.dir]));
  const r = await writeReport({
    artifacts,
    samples: ctx.params.samples,
    maxSide: ctx.params.maxSide,
    self: { stage: ctx.stage },
    runFacts: false,
    out: await ctx.out.path('report.html'),
  });
  // not the path: this one is inside the partial folder; the run prints the committed one last
  ctx.log(`report.html: ${(r.bytes / 1024).toFixed(0)} KiB, ${r.images} pictures, ${r.stages} stages`);
  return { bytes: r.bytes, pictures: r.images, trainSamples: r.samples.train.length, valSamples: r.samples.val.length };
}
