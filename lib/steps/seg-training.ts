// What train and retrain share: their params and their entry into the training loop (training.ts).
// Light: the loop and tfjs load when the stage runs.
import { z } from 'zod';
import type { StageContext } from '../stage/stage.ts';
import type { Json } from '../store/canonical-json.ts';
import { Training } from './params.ts';

export const segTrainingParams = z.strictObject({
  ...Training,
  iterations: Training.iterations.default(10000),
  /** code: l_c reaches only the attention head (docs/method.md D4); paper: summed gradients */
  routing: z.enum(['code', 'paper']).default('code'),
  /**
   * the optimiser state at the start: fresh (zero momentum / Adam moments, as DCSP's code: each stage
   * builds new optimisers) or keep (the init model's, which train commits with its weights; for
   * retrain, docs/adapt-study.md)
   */
  optimizerState: z.enum(['fresh', 'keep']).default('fresh'),
});
export type SegTrainingParams = z.output<typeof segTrainingParams>;

export async function runSegTraining(ctx: StageContext<SegTrainingParams>): Promise<Record<string, Json>> {
  return (await import('./training.ts')).runTraining(ctx, 'seg');
}
