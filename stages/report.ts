import { z } from 'zod';
import { defineStage } from '../lib/stage/stage.ts';

const report = () => import('../lib/report/write-report.ts');

export default defineStage({
  name: 'report',
  version: 1,
  description: 'self-contained HTML report: DAG, Fig. 1 panels, metric tables, training curves',
  params: z.strictObject({
    /** images per figure (train cue panels and val predictions), chosen deterministically */
    samples: z.number().int().min(0).default(8),
    /** longest side of an inlined picture; larger images are scaled down */
    maxSide: z.number().int().min(16).default(256),
  }),
  inputs: ['dataset', 's1', 's2', 's3', 'attention', 'cues', 'adapt', 'eval', 'direct', 'oracle'],
  /** the comparison rows: no joint training (eval-direct) and the ground-truth-cue oracle */
  optionalInputs: ['direct', 'oracle'],
  async run(ctx) {
    const { writeReport } = await report();
    const artifacts = Object.fromEntries(Object.entries(ctx.inputs).map(([slot, art]) => [slot, art.dir]));
    const r = await writeReport({
      artifacts,
      samples: ctx.params.samples,
      maxSide: ctx.params.maxSide,
      self: { stage: ctx.stage },
      // the artifact holds results only; `pipeline report` adds the run's times and cache hits
      runFacts: false,
      out: await ctx.out.path('report.html'),
    });
    ctx.log(`report: ${r.out} (${(r.bytes / 1024).toFixed(0)} KiB, ${r.images} pictures, ${r.stages} stages)`);
    return { bytes: r.bytes, pictures: r.images, trainSamples: r.samples.train.length, valSamples: r.samples.val.length };
  },
});
