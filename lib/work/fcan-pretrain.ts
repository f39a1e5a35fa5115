// The fcan-pretrain stage's work (stages/fcan-pretrain.ts): the classification objective of the
// training loop shared with train and retrain (training.ts).
import type { RunWork } from '../contract/stage.ts';
import { fcanTraining } from './training.ts';
import type { FcanPretrainParams } from '../../stages/fcan-pretrain.ts';

export const work = fcanTraining satisfies RunWork<FcanPretrainParams>;
