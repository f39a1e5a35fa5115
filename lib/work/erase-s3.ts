// The erase-s3 stage's work (stages/erase-s3.ts): an erase pass of saliency-passes.ts.
import type { ItemWork } from '../contract/stage.ts';
import { erasePassWork, type PassShared, type PassState } from './saliency-passes.ts';
import type { ErasePassParams } from '../../stages/erase-s3.ts';

export const work = erasePassWork(3) satisfies ItemWork<ErasePassParams, PassShared, PassState>;
