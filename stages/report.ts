import { z } from 'zod';
import { defineStage } from '../lib/exec/stage.ts';

export default defineStage({
  name: 'report',
  version: 1,
  description: 'self-contained HTML report: DAG, Fig. 1 panels, metric tables, training curves',
  params: z.strictObject({ samples: z.number().int().min(0).default(8) }),
  inputs: ['dataset', 's1', 's2', 's3', 'attention', 'cues', 'adapt', 'eval'],
  implemented: false,
});
