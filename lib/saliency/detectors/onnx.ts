// `onnx`: any ONNX salient-object model on onnxruntime-node (../onnx.ts, loaded when built);
// saliency-s1.model is a .onnx file or a named model (u2netp, u2net).
import { z } from 'zod';
import { defineDetector } from '../detector-plugin.ts';
import { preprocessSchema } from '../preprocess.ts';
import { modelFromParams, needsModel } from './model-param.ts';

export const onnxSpecSchema = preprocessSchema
  .extend({
    kind: z.literal('onnx'),
    /** a path to a .onnx file, or a registered name ('u2netp', 'u2net') downloaded on first use */
    model: z.string().min(1),
    /** expected sha256 of a local model file (verified before loading) */
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    /** intra-op threads for onnxruntime (default 1: the executor parallelises over images) */
    threads: z.number().int().positive().optional(),
  })
  .strict();
export type OnnxSpec = z.infer<typeof onnxSpecSchema>;

export const onnxDetector = defineDetector({
  name: 'onnx',
  summary: 'an ONNX salient-object model (model: a .onnx file, u2netp or u2net)',
  spec: onnxSpecSchema,
  onnx: true,
  fromParams: (c) => modelFromParams(c, 'model'),
  refuse: (c) => needsModel(c, 'onnx', 'an .onnx file or u2netp / u2net'),
  async create(spec, opts) {
    const { createOnnxDetector } = await import('../onnx.ts');
    return createOnnxDetector(spec, opts);
  },
});
