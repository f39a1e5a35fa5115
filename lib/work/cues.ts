// The cues stage's work (stages/cues.ts, and cues-oracle): Algorithm 1 per train image, or the
// ground truth for the oracle; their quality against the ground truth as the summary (scores.ts).
import { Dataset } from '../layouts/dataset.ts';
import type { ItemWork } from '../contract/stage.ts';
import type { Json } from '../store/canonical-json.ts';
import { cuesFromAttention } from '../model/cues.ts';
import { readAttention } from '../layouts/attention.ts';
import { CUES } from '../layouts/cues.ts';
import { SALIENCY } from '../layouts/saliency.ts';
import { cueSummary } from './scores.ts';
import type { CueParams } from '../../stages/cues.ts';

interface CueState {
  dataset: Dataset;
}

export const work = {
  setup: async (env) => ({ dataset: await Dataset.open(env.inputs.dataset) }),
  async compute(id, env) {
    const { dataset } = env.state;
    if (env.params.source === 'gt') {
      const gt = await dataset.readGt(id);
      if (!gt) throw new Error(`cues.source=gt needs ground truth, and ${id} has none`);
      // void stays void: training leaves it out of the loss, as fully supervised DeepLab does
      return { arrays: CUES.map(gt.data, gt.width, gt.height) };
    }
    const a = await readAttention(env.inputs.attention, id);
    const s = await SALIENCY.readMap(env.inputs[env.params.saliency], id);
    const { height: h, width: w } = s;
    if (a.height !== h || a.width !== w) throw new Error(`attention ${a.height}x${a.width} and saliency ${h}x${w} differ for ${id}`);
    const cue = cuesFromAttention(a.maps, a.classes, s.data, w, h, { gamma: env.params.gamma, mean: env.params.mean });
    return { arrays: CUES.map(cue, w, h) };
  },
  summarize: (ctx, _m, ids, read) => cueSummary(ctx, ids, read, `cues (${ctx.params.source === 'gt' ? 'ground truth' : ctx.params.saliency})`),
} satisfies ItemWork<CueParams, Json, CueState>;
