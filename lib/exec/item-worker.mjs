// tinypool worker entry: worker threads do not inherit tsx from the parent, so register it here.
import { register } from 'tsx/esm/api';

register();
const { runItemTask } = await import('./item-task.ts');
export default runItemTask;
