import type { z } from 'zod';
import { defineStage } from '../lib/contract/stage.ts';
import { segTrainingParams } from './shared/params.ts';

export const params = segTrainingParams;
export type RetrainParams = z.output<typeof params>;

export default defineStage({
  name: 'retrain',
  version: 1,
  description: "same objective on the adapted cues, from train's weights, learning rate reset",
  params,
  inputs: ['dataset', 'cues', 'init'],
  isolate: true,
  tensors: true,
  // the divergence check (lib/model/train-loop.ts) stops a run or leaves its bytes alone
  guards: ['divergeFactor'],
  work: new URL('../lib/work/retrain.ts', import.meta.url),
});
