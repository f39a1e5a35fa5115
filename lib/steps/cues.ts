// The cues stage: Algorithm 1 per train image (or the ground truth, for the oracle), and the cue
// quality measure shared with adapt.
import { VOID_LABEL } from '../types.ts';
import { Dataset } from '../layouts/dataset.ts';
import type { ItemEnv, ItemResult, ItemSetupEnv, StageContext } from '../stage/stage.ts';
import type { Json } from '../store/canonical-json.ts';
import { CueQuality } from '../model/cue-quality.ts';
import { cuesFromAttention, type CueMean } from '../model/cues.ts';
import { map8, round } from './net.ts';
import { formatPercent } from '../format.ts';

export interface CueParams {
  saliency: 's1' | 's2' | 's3';
  gamma: number;
  mean: CueMean;
  source: 'computed' | 'gt';
}

export async function cueSetup(env: ItemSetupEnv<CueParams, Json>): Promise<{ dataset: Dataset }> {
  return { dataset: await Dataset.open(env.inputs.dataset) };
}

export async function cueCompute(id: string, env: ItemEnv<CueParams, Json, { dataset: Dataset }>): Promise<ItemResult> {
  const { dataset } = env.state;
  if (env.params.source === 'gt') {
    const gt = await dataset.readGt(id);
    if (!gt) throw new Error(`cues.source=gt needs ground truth, and ${id} has none`);
    // void stays void: training leaves it out of the loss, as fully supervised DeepLab does
    return { arrays: { cue: { data: gt.data, shape: [gt.height, gt.width] } } };
  }
  const a = await (await env.inputs.attention.items('attention')).read(id);
  const classes = Array.from((await (await env.inputs.attention.items('classes')).read(id)).data);
  const s = await (await env.inputs[env.params.saliency].items('s')).read(id);
  const [h, w] = s.shape;
  if (a.shape[1] !== h || a.shape[2] !== w) throw new Error(`attention ${a.shape.slice(1).join('x')} and saliency ${h}x${w} differ for ${id}`);
  const cue = cuesFromAttention(a.data as Uint8Array, classes, s.data as Uint8Array, w, h, { gamma: env.params.gamma, mean: env.params.mean });
  return { arrays: { cue: { data: cue, shape: [h, w] } } };
}

/** Cue mIoU and foreground precision / recall against the ground truth, where there is some. */
export async function cueSummary(ctx: StageContext<unknown>, ids: string[], read: (i: number) => Promise<ItemResult>, label: string): Promise<Record<string, Json>> {
  const dataset = await Dataset.open(ctx.inputs.dataset);
  const q = new CueQuality();
  let images = 0;
  for (let i = 0; i < ids.length; i++) {
    const gt = await dataset.readGt(ids[i]);
    if (!gt) continue;
    // a void cue pixel (the oracle's) sits where the ground truth is void, which is not scored
    const cue = map8(await read(i), 'cue').map((v) => (v === VOID_LABEL ? 0 : v));
    q.add(cue, gt.data, ids[i]);
    images++;
  }
  if (!images) return { quality: null };
  const s = q.scores();
  ctx.log(`${label} on ${images} train images with ground truth: mIoU ${formatPercent(s.meanIoU)}, precision ${formatPercent(s.precision)}, recall ${formatPercent(s.recall)} (foreground, class-aware)`);
  return { quality: { images, meanIoU: round(s.meanIoU), precision: round(s.precision), recall: round(s.recall), fgPrecision: round(s.fgPrecision), fgRecall: round(s.fgRecall) } };
}
