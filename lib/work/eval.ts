// The eval stage's work (stages/eval.ts, and eval-oracle): multi-scale prediction and the dense CRF
// per image; the summary (confusion matrix, mIoU, test-server PNGs) is shared with eval-direct
// (scores.ts).
import type { ItemWork } from '../stage/stage.ts';
import type { Json } from '../store/canonical-json.ts';
import { predict } from '../model/inference.ts';
import { NUM_CLASSES } from '../types.ts';
import { netSetup, type NetState } from './net.ts';
import { evalSummary } from './scores.ts';
import { PREDICTIONS } from '../layouts/predictions.ts';
import type { EvalParams } from '../../stages/eval.ts';

export const work = {
  setup: (env) => netSetup(env.inputs.dataset, env.inputs[env.params.checkpoint]),
  async compute(id, env) {
    const { dataset, model } = env.state;
    const image = await dataset.readImage(id);
    const prob = await predict(model, image, env.params.scales, 'hwc');
    let pred: Uint8Array;
    if (env.params.crf) {
      const { crfLabels } = await import('../crf/dense-crf.ts');
      pred = crfLabels(image, prob.data, NUM_CLASSES, env.params.crfParams);
    } else {
      const { argmaxLabels } = await import('../crf/dense-crf.ts');
      pred = argmaxLabels(prob.data, NUM_CLASSES);
    }
    return { arrays: PREDICTIONS.map(pred, image.width, image.height) };
  },
  summarize: (ctx, _m, ids, read) =>
    evalSummary(ctx, ids, read, `${ctx.params.checkpoint}, ${ctx.params.crf ? 'CRF' : 'no CRF'}, scales ${ctx.params.scales.join('/')}`),
} satisfies ItemWork<EvalParams, Json, NetState>;
