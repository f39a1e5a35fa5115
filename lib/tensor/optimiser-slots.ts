// What MomentumSgd and Adam share: reading their parameter table (per-variable lrMult and weight
// decay). Their state buffers, the decayed gradient and restoring from a checkpoint work per group
// of parameters: param-groups.ts.

import * as tf from '@tensorflow/tfjs';

export interface ParamOptions {
  /** multiplies the learning rate for this variable; default 1 */
  lrMult?: number;
  /** L2 weight decay for this variable; default the optimiser's weightDecay */
  weightDecay?: number;
}

/** a bare variable (lrMult 1, the default decay) or one with its own options */
export type ParamSpec = tf.Variable | ({ variable: tf.Variable } & ParamOptions);

export interface TrainedParam {
  variable: tf.Variable;
  lrMult: number;
  weightDecay: number;
}

export function trainedParams(params: Record<string, ParamSpec>, defaultDecay: number): [string, TrainedParam][] {
  return Object.entries(params).map(([name, p]) => {
    const variable = p instanceof tf.Variable ? p : p.variable;
    const o: ParamOptions = p instanceof tf.Variable ? {} : p;
    return [name, { variable, lrMult: o.lrMult ?? 1, weightDecay: o.weightDecay ?? defaultDecay }];
  });
}
