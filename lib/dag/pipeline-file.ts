// pipeline.yaml: syntax and shape. Semantic checks (stages exist, slots match, params valid,
// no cycles) live in load.ts once the stage modules are known.
import { z } from 'zod';

/** what a stage may be called: no '/', no '.', so a stage name is never a path (a job from the queue names one) */
export const STAGE_NAME = /^[a-z][a-z0-9-]*$/;

const Params = z.record(z.string(), z.unknown());

export const StageEntrySchema = z.strictObject({
  module: z.string().optional(),
  description: z.string().optional(),
  inputs: z.record(z.string(), z.string()).default({}),
  params: Params.default({}),
  isolate: z.boolean().optional(),
  /** run only when a stage in the run reads it (e.g. saliency-train, read only by a dhsnet detector) */
  on_demand: z.boolean().optional(),
  /**
   * params taken from other stages' resolved params (profile and --set included), under this
   * stage's own layers: `{ eval: [scales, crf] }`; `train+retrain: [iterations]` sums the two.
   * So a comparison stage (eval-oracle, eval-direct) cannot drift from what it is compared with.
   */
  follows: z.record(z.string(), z.array(z.string()).min(1)).optional(),
});

export const ProfileSchema = z.strictObject({
  description: z.string().optional(),
  extends: z.string().optional(),
  params: z.record(z.string(), Params).default({}),
});

export const PipelineFileSchema = z.strictObject({
  version: z.literal(1).optional(),
  default_profile: z.string().optional(),
  stages: z.record(z.string(), StageEntrySchema.nullable().transform((s) => s ?? StageEntrySchema.parse({}))),
  profiles: z.record(z.string(), ProfileSchema).default({}),
});

export type StageEntry = z.infer<typeof StageEntrySchema>;
export type ProfileEntry = z.infer<typeof ProfileSchema>;
export type PipelineFile = z.infer<typeof PipelineFileSchema>;
