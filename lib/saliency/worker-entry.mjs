// Plain-JS entry for worker threads: registers tsx's loader in this thread (execArgv --import is not
// honoured by worker threads on Node 20), then loads the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
const { default: detectTask } = await import('./worker.ts');

export default detectTask;
