import { segTrainingStage } from './shared.ts';

export default segTrainingStage('train', 'joint training (l_s + l_c) on the cues, from the FCAN weights');
