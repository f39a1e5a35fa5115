// Plain-JS worker entry: registers tsx's loader in this worker thread, then loads the TypeScript
// task. Use this file as Tinypool's `filename` for CRF pools.
import { register } from 'tsx/esm/api';

register();
const { default: crfTask } = await import('./worker.ts');

export default crfTask;
