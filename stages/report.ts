import { z } from 'zod';
import { OPTIONAL_REPORT_SLOTS, REPORT_SLOTS } from '../lib/report/slots.ts';
import { defineStage } from '../lib/contract/stage.ts';

export const params = z.strictObject({
  /** images per figure (train cue panels and val predictions), chosen deterministically */
  samples: z.number().int().min(0).default(8),
  /** longest side of an inlined picture; larger images are scaled down */
  maxSide: z.number().int().min(16).default(256),
});
export type ReportParams = z.output<typeof params>;

export default defineStage({
  name: 'report',
  version: 1,
  description: 'self-contained HTML report: DAG, Fig. 1 panels, metric tables, training curves',
  params,
  inputs: REPORT_SLOTS,
  optionalInputs: OPTIONAL_REPORT_SLOTS,
  // the DAG (every upstream key and params), the training tables and curves come from artifacts
  // upstream of the inputs: the key covers them all
  readsLineage: true,
  work: new URL('../lib/work/report.ts', import.meta.url),
});
