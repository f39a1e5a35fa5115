// The train stage's work (stages/train.ts): the segmentation objective of the training loop (training.ts).
import type { RunWork } from '../contract/stage.ts';
import { segTraining } from './training.ts';
import type { TrainParams } from '../../stages/train.ts';

export const work = segTraining satisfies RunWork<TrainParams>;
