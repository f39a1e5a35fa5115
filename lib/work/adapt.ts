// The adapt stage's work (stages/adapt.ts): new cues from the trained network, restricted to each
// image's classes; their quality against the ground truth as the summary (scores.ts).
import type { ItemWork } from '../contract/stage.ts';
import type { Json } from '../store/canonical-json.ts';
import { adaptImage } from '../model/inference.ts';
import { netSetup, type NetState } from './net.ts';
import { cueSummary } from './scores.ts';
import { CUES } from '../layouts/cues.ts';
import type { AdaptParams } from '../../stages/adapt.ts';

export const work = {
  setup: (env) => netSetup(env.inputs.dataset, env.inputs.model),
  async compute(id, env) {
    const { dataset, model } = env.state;
    const image = await dataset.readImage(id);
    const cue = await adaptImage(model, image, dataset.labels(id), { scales: env.params.scales, masking: env.params.masking });
    return { arrays: CUES.map(cue, image.width, image.height) };
  },
  summarize: (ctx, _m, ids, read) => cueSummary(ctx, ids, read, 'adapted cues'),
} satisfies ItemWork<AdaptParams, Json, NetState>;
