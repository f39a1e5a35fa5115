// An evaluation stage's resolved params (eval's schema has validated and defaulted them) read as
// what a prediction needs: scales, CRF on/off and its params, and the stages holding the model and
// the dataset. predict takes them from here rather than repeating eval's defaults.
import type { ResolvedStage } from '../dag/load.ts';
import { DEFAULT_CRF_PARAMS, type CrfParams } from '../crf/dense-crf.ts';
import { InputError } from '../errors.ts';
import type { SegmentSettings } from '../predict/segment.ts';

export interface EvalSettings extends SegmentSettings {
  /** the stage whose checkpoint eval loads (its `checkpoint` param names the input slot) */
  modelStage: string;
  datasetStage: string;
}

const isCrfKey = (k: string): k is keyof CrfParams => k in DEFAULT_CRF_PARAMS;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function evalSettings(command: string, stage: ResolvedStage): EvalSettings {
  const { scales, crf, crfParams, checkpoint } = stage.params;
  const notEval = (why: string): InputError => new InputError(`pipeline ${command}: stage ${stage.name} is not an evaluation of a trained network (${why})`);
  if (!Array.isArray(scales) || !scales.every((s): s is number => typeof s === 'number')) throw notEval('no scales param');
  if (typeof crf !== 'boolean') throw notEval('no crf param');
  if (!isPlainObject(crfParams)) throw notEval('no crfParams param');
  if (typeof checkpoint !== 'string' || !stage.inputs[checkpoint]) throw notEval('no checkpoint param naming one of its inputs');
  if (!stage.inputs.dataset) throw notEval('no dataset input');
  const crfSettings: Partial<CrfParams> = {};
  for (const [k, v] of Object.entries(crfParams)) {
    if (!isCrfKey(k) || typeof v !== 'number') throw notEval(`crfParams.${k} is not a CRF setting`);
    crfSettings[k] = v;
  }
  return { scales, crf, crfParams: crfSettings, modelStage: stage.inputs[checkpoint], datasetStage: stage.inputs.dataset };
}
