import type { z } from 'zod';
import { defineStage } from '../lib/contract/stage.ts';
import { segTrainingParams } from './shared/params.ts';

export const params = segTrainingParams;
export type TrainParams = z.output<typeof params>;

export default defineStage({
  name: 'train',
  version: 1,
  description: 'joint training (l_s + l_c) on the cues, from the FCAN weights',
  params,
  inputs: ['dataset', 'cues', 'init'],
  isolate: true,
  tensors: true,
  // the divergence check (lib/model/train-loop.ts) stops a run or leaves its bytes alone
  guards: ['divergeFactor'],
  work: new URL('../lib/work/train.ts', import.meta.url),
});
