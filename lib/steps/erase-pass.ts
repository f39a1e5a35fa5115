// What erase-s2 and erase-s3 share: their params (differing by the default threshold) and their
// per-item entry into saliency-passes.ts. Light: no detector is loaded until an item runs.
import { z } from 'zod';
import { SALIENCY } from '../layouts/saliency.ts';
import type { PerItemSpec } from '../stage/stage.ts';
import { Compare, Fill } from './params.ts';
import type { PassShared, PassState } from './saliency-passes.ts';

const passes = () => import('./saliency-passes.ts');

export const erasePassParams = (threshold: number) =>
  z.strictObject({ threshold: z.number().min(0).max(1).default(threshold), compare: Compare.default('>='), fill: Fill.default('mean') });
export type ErasePassParams = z.output<ReturnType<typeof erasePassParams>>;

/** pass 2 erases with S1, pass 3 with S2e */
export function erasePassItems(pass: 2 | 3): PerItemSpec<ErasePassParams, PassShared, PassState> {
  return {
    ids: (ctx) => SALIENCY.ids(ctx.inputs.previous),
    shared: async (ctx) => (await passes()).eraseShared(ctx),
    setup: async (env) => (await passes()).passSetup(env),
    compute: async (id, env) => (await passes()).computeErasePass(id, env),
    summarize: async (ctx, _m, ids, read) => (await passes()).passQuality(ctx, ids, read, `S${pass}`),
    chunkSize: 4,
  };
}
