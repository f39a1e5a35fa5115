// The erase-s3 stage's params and per-item entry: erase where S2e >= 0.8, detect again (erase-pass.ts).
import { erasePassItems, erasePassParams } from './erase-pass.ts';

export const THRESHOLD = 0.8;
export const params = erasePassParams(THRESHOLD);
export const perItem = erasePassItems(3);
