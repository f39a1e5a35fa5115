import { defineStage } from '../lib/stage/stage.ts';
import { params, perItem, THRESHOLD } from '../lib/steps/erase-s3.ts';

export default defineStage({
  name: 'erase-s3',
  version: 1,
  description: `erase pixels with S2e >= ${THRESHOLD}, detect again: S3 = max(S2, S3e)`,
  params,
  inputs: ['dataset', 'previous'],
  perItem,
});
