// The eval stage (and eval-oracle): multi-scale prediction and the dense CRF per image; the summary
// (confusion matrix, mIoU, test-server PNGs) is shared with eval-direct (scores.ts).
import type { ItemEnv, ItemResult, ItemSetupEnv } from '../../stage/stage.ts';
import type { Json } from '../../store/canonical-json.ts';
import { segmentImage } from '../../predict/segment.ts';
import { netSetup, type NetState } from '../net.ts';
import { PREDICTIONS } from '../../layouts/predictions.ts';
import type { EvalParams } from '../eval.ts';

export const evalSetup = (env: ItemSetupEnv<EvalParams, Json>): Promise<NetState> => netSetup(env.inputs.dataset, env.inputs[env.params.checkpoint]);

export async function evalCompute(id: string, env: ItemEnv<EvalParams, Json, NetState>): Promise<ItemResult> {
  const { dataset, model } = env.state;
  const image = await dataset.readImage(id);
  const pred = await segmentImage(model, image, dataset.index.classNames.length, env.params);
  return { arrays: PREDICTIONS.map(pred, image.width, image.height) };
}
