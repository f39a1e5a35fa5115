import { z } from 'zod';
import { defineStage } from '../lib/exec/stage.ts';
import { Scales } from './params.ts';

export default defineStage({
  name: 'attention',
  version: 1,
  description: '3-scale max-fused attention, per-class min-max normalised, present classes only',
  params: z.strictObject({ scales: Scales }),
  inputs: ['dataset', 'model'],
  implemented: false,
});
