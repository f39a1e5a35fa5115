// The fcan-pretrain stage's params and entry; the training loop is shared with train and retrain
// (training.ts).
import { z } from 'zod';
import type { StageContext } from '../stage/stage.ts';
import type { Json } from '../store/canonical-json.ts';
import { Model, Training, WidthDivisor } from './params.ts';

export const params = z.strictObject({
  model: Model.default('deeplab-lite'),
  ...Training,
  iterations: Training.iterations.default(30000),
  /** the code trains only the heads (ASPP + 1x1 attention filters) on an ImageNet backbone;
   * a model without ImageNet weights (deeplab-lite) must train everything: false */
  headsOnly: z.boolean().default(true),
  /** ImageNet weights: a Keras "notop" HDF5 file, or 'download' (pinned MD5; mirrors: $DCSP_MIRRORS) */
  init: z.string().optional(),
  /** every channel count divided by this: a narrow copy for tests and smoke runs (1 = the paper's widths) */
  widthDivisor: WidthDivisor,
});
export type FcanPretrainParams = z.output<typeof params>;

export async function run(ctx: StageContext<FcanPretrainParams>): Promise<Record<string, Json>> {
  return (await import('./training.ts')).runTraining(ctx, 'fcan');
}
