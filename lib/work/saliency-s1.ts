// The saliency-s1 stage's work (stages/saliency-s1.ts): the first pass of saliency-passes.ts.
import type { ItemWork } from '../contract/stage.ts';
import { firstPassWork, type PassShared, type PassState } from './saliency-passes.ts';
import type { FirstPassParams } from '../../stages/saliency-s1.ts';

export const work = firstPassWork satisfies ItemWork<FirstPassParams, PassShared, PassState>;
