import { erasePassStage } from './shared.ts';

export default erasePassStage(2, 0.7);
