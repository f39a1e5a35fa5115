// Which parameters train, at what rate multiplier and with what weight decay, for each DCSP
// training stage (docs/method.md §3, §5, §7, D3, D4):
//  - lr multipliers: backbone x1, ASPP / classifier and FCAN head weights x10, their biases x20;
//    frozen batch norm never trains;
//  - fcan (eq. 1): heads only by default (ASPP + head; the code's choice), or all; weight decay on
//    every trained weight;
//  - seg, routing 'code': all trained, l_c stops at the head (the model's detachAttention), and only
//    the head's weights are decayed: the released code's list concatenation gives the shared layers
//    neither l_c nor weight decay;
//  - seg, routing 'paper': summed gradients everywhere and weight decay on every weight.

import type { ParamInfo } from './params.ts';
import type { SegmentationModel } from './model.ts';

export type Objective = 'fcan' | 'seg';
export type Routing = 'code' | 'paper';
export type TrainScope = 'all' | 'heads';

export interface ParamPlan {
  name: string;
  info: ParamInfo;
  lrMult: number;
  weightDecay: number;
}

export function lrMultiplier(p: ParamInfo): number {
  if (p.group === 'backbone') return 1;
  return p.kind === 'biases' ? 20 : 10;
}

export function planParams(model: SegmentationModel, opts: { objective: Objective; routing?: Routing; scope?: TrainScope; weightDecay: number }): ParamPlan[] {
  const scope = opts.scope ?? (opts.objective === 'fcan' ? 'heads' : 'all');
  const routing = opts.routing ?? 'code';
  const out: ParamPlan[] = [];
  for (const [name, info] of model.params) {
    if (info.kind === 'bn') continue;
    if (scope === 'heads' && info.group === 'backbone') continue;
    const decayed = info.kind === 'weights' && (opts.objective === 'fcan' || routing === 'paper' || info.group === 'head');
    out.push({ name, info, lrMult: lrMultiplier(info), weightDecay: decayed ? opts.weightDecay : 0 });
  }
  return out;
}
