// The erase-s2 stage's params and per-item entry: erase where S1 >= 0.7, detect again (erase-pass.ts).
import { erasePassItems, erasePassParams } from './erase-pass.ts';

export const THRESHOLD = 0.7;
export const params = erasePassParams(THRESHOLD);
export const perItem = erasePassItems(2);
