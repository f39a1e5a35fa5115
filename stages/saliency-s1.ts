import { z } from 'zod';
import { defineStage } from '../lib/exec/stage.ts';

const passes = () => import('../lib/saliency/passes.ts');

export default defineStage({
  name: 'saliency-s1',
  version: 1,
  description: 'off-the-shelf salient-object detector on every train image -> S1',
  params: z.strictObject({
    detector: z.enum(['boundary', 'onnx', 'tfjs', 'dhsnet']).default('boundary'),
    /** onnx: a file or a named model (u2netp, u2net); tfjs: a model folder */
    model: z.string().optional(),
    /** further detector settings (lib/saliency/spec.ts), e.g. { segments: 300 } */
    options: z.record(z.string(), z.unknown()).default({}),
    split: z.enum(['train', 'val', 'all']).default('train'),
  }),
  inputs: ['dataset'],
  perItem: {
    ids: async (ctx) => (await passes()).passIds(ctx, ctx.params.split),
    shared: async (ctx) => {
      const p = await passes();
      const detector = p.detectorSpec(ctx.params);
      await ctx.out.json(p.DETECTOR_FILE, detector);
      return { detector, fill: [0, 0, 0] as [number, number, number] };
    },
    setup: async (env) => (await passes()).passSetup(env),
    compute: async (id, env) => (await passes()).computeFirstPass(id, env),
    summarize: async (ctx, _m, ids, read) => (await passes()).passQuality(ctx, ids, read, 'S1'),
    chunkSize: 4,
  },
});
