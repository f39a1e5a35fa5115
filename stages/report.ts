import { OPTIONAL_REPORT_SLOTS, REPORT_SLOTS } from '../lib/report/slots.ts';
import { defineStage } from '../lib/stage/stage.ts';
import { params, run } from '../lib/steps/report.ts';

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
  run,
});
