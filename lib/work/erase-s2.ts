// The erase-s2 stage's work (stages/erase-s2.ts): an erase pass of saliency-passes.ts.
import type { ItemWork } from '../contract/stage.ts';
import { erasePassWork, type PassShared, type PassState } from './saliency-passes.ts';
import type { ErasePassParams } from '../../stages/erase-s2.ts';

export const work = erasePassWork(2) satisfies ItemWork<ErasePassParams, PassShared, PassState>;
