import { z } from 'zod';
import { Dataset } from '../lib/layouts/dataset.ts';
import {
  checkDetectorParams,
  detectorName,
  detectorOnnx,
  detectorReadsWeights,
  detectorRefusal,
  detectorTensors,
  withDetectorCode,
} from '../lib/saliency/stage-hooks.ts';
import { defineStage } from '../lib/contract/stage.ts';

export const params = z
  .strictObject({
    /** a detector of lib/saliency/registry.ts (pipeline --help lists them), e.g. isnet (options.variant: medium, small) */
    detector: detectorName.default('boundary'),
    /** onnx: a file or a named model (u2netp, u2net); tfjs: a model folder; dhsnet: a folder of
     * converted weights (otherwise the weights come from input `weights`, saliency-train) */
    model: z.string().optional(),
    /** further detector settings (lib/saliency/detectors/<name>.ts), e.g. { segments: 300 } */
    options: z.record(z.string(), z.unknown()).default({}),
    split: z.enum(['train', 'val', 'all']).default('train'),
    /** set by the parse, not by hand: the code identity of a plugin's detector (lib/saliency/stage-hooks.ts) */
    detectorCode: z.string().optional(),
  })
  .superRefine(checkDetectorParams)
  .transform(withDetectorCode);
export type FirstPassParams = z.output<typeof params>;

export default defineStage({
  name: 'saliency-s1',
  version: 1,
  description: 'off-the-shelf salient-object detector on every train image -> S1',
  params,
  inputs: ['dataset', 'weights'],
  optionalInputs: ['weights'],
  // what the chosen detector needs, reads and computes with: lib/saliency/stage-hooks.ts
  // (saliency-train, on_demand, runs only for a detector that reads its weights)
  inputsUsed: (p) => (detectorReadsWeights(p) ? ['weights'] : []),
  refuse: (p, upstream) => detectorRefusal(p, upstream('weights') !== undefined),
  tensors: (p) => detectorTensors(p),
  onnx: (p) => detectorOnnx(p),
  work: new URL('../lib/work/saliency-s1.ts', import.meta.url),
  perItem: { ids: async (ctx) => (await Dataset.open(ctx.inputs.dataset)).ids(ctx.params.split), chunkSize: 4 },
});
