// `tfjs`: a saved tfjs graph or layers model folder (../tfjs.ts, loaded when built); saliency-s1.model
// is the folder.
import { z } from 'zod';
import { defineDetector } from '../detector-plugin.ts';
import { preprocessSchema } from '../preprocess.ts';
import { modelFromParams, needsModel } from './model-param.ts';

export const tfjsSpecSchema = preprocessSchema
  .extend({
    kind: z.literal('tfjs'),
    /** folder with model.json (+ weight shards), or the model.json path itself */
    path: z.string().min(1),
    format: z.enum(['auto', 'graph', 'layers']).optional(),
    /** tfjs backend to use; by default the process's current backend is kept */
    backend: z.enum(['cpu', 'wasm']).optional(),
  })
  .strict();
export type TfjsSpec = z.infer<typeof tfjsSpecSchema>;

export const tfjsDetector = defineDetector({
  name: 'tfjs',
  summary: 'a saved tfjs graph or layers model (model: its folder)',
  spec: tfjsSpecSchema,
  tensors: true,
  fromParams: (c) => modelFromParams(c, 'path'),
  refuse: (c) => needsModel(c, 'tfjs', 'a tfjs model folder'),
  async create(spec, opts) {
    const { createTfjsDetector } = await import('../tfjs.ts');
    return createTfjsDetector(spec, opts);
  },
});
