// The retrain stage's work (stages/retrain.ts): the segmentation objective of the training loop (training.ts).
import type { RunWork } from '../contract/stage.ts';
import { segTraining } from './training.ts';
import type { RetrainParams } from '../../stages/retrain.ts';

export const work = segTraining satisfies RunWork<RetrainParams>;
