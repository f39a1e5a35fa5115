import { segTrainingStage } from './shared.ts';

export default segTrainingStage('retrain', "same objective on the adapted cues, from train's weights, learning rate reset");
