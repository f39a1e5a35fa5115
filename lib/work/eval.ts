// The eval stage's work (stages/eval.ts, and eval-oracle): multi-scale prediction and the dense CRF
// per image; the summary (confusion matrix, mIoU, test-server PNGs) is shared with eval-direct
// (scores.ts).
import type { ItemWork } from '../contract/stage.ts';
import type { Json } from '../store/canonical-json.ts';
import { segmentImage } from '../predict/segment.ts';
import { netSetup, type NetState } from './net.ts';
import { evalSummary } from './scores.ts';
import { PREDICTIONS } from '../layouts/predictions.ts';
import type { EvalParams } from '../../stages/eval.ts';

export const work = {
  setup: (env) => netSetup(env.inputs.dataset, env.inputs[env.params.checkpoint]),
  async compute(id, env) {
    const { dataset, model } = env.state;
    const image = await dataset.readImage(id);
    const pred = await segmentImage(model, image, dataset.index.classNames.length, env.params);
    return { arrays: PREDICTIONS.map(pred, image.width, image.height) };
  },
  summarize: (ctx, _m, ids, read) =>
    evalSummary(ctx, ids, read, `${ctx.params.checkpoint}, ${ctx.params.crf ? 'CRF' : 'no CRF'}, scales ${ctx.params.scales.join('/')}`),
} satisfies ItemWork<EvalParams, Json, NetState>;
