import { erasePassStage } from './shared.ts';

export default erasePassStage(3, 0.8);
