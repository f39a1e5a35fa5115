// The retrain stage's params and entry: the segmentation training shared with train (seg-training.ts).
import { runSegTraining, segTrainingParams } from './seg-training.ts';

export const params = segTrainingParams;
export const run = runSegTraining;
