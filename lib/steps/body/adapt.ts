// The adapt stage: new cues from the trained network, restricted to each image's classes.
import type { ItemEnv, ItemResult, ItemSetupEnv } from '../../stage/stage.ts';
import type { Json } from '../../store/canonical-json.ts';
import { adaptImage } from '../../model/inference.ts';
import { netSetup, type NetState } from '../net.ts';
import { CUES } from '../../layouts/cues.ts';
import type { AdaptParams } from '../adapt.ts';

export const adaptSetup = (env: ItemSetupEnv<AdaptParams, Json>): Promise<NetState> => netSetup(env.inputs.dataset, env.inputs.model);

export async function adaptCompute(id: string, env: ItemEnv<AdaptParams, Json, NetState>): Promise<ItemResult> {
  const { dataset, model } = env.state;
  const image = await dataset.readImage(id);
  const cue = await adaptImage(model, image, dataset.labels(id), { scales: env.params.scales, masking: env.params.masking });
  return { arrays: CUES.map(cue, image.width, image.height) };
}
