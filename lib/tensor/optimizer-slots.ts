// What MomentumSgd and Adam share: reading their parameter table (per-variable lrMult and weight
// decay), the zero-initialised state buffers kept beside each variable, the decayed gradient of a
// step, and restoring a buffer from a checkpoint.

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

let counter = 0;

/** A zero buffer shaped like `like`; tfjs variable names are global per process, hence the counter. */
export function zeroBuffer(like: tf.Variable, name: string): tf.Variable {
  // tf.variable keeps its own reference to the data; the initial tensor must be freed
  const zeros = tf.zerosLike(like);
  counter += 1;
  const out = tf.variable(zeros, false, `${name}-${counter}`);
  zeros.dispose();
  return out;
}

/** g + weightDecay * w for one parameter; grads are keyed by our name or by the tfjs variable name. */
export function decayedGradient(grads: tf.NamedTensorMap, name: string, p: TrainedParam, who: string): tf.Tensor {
  const g = grads[name] ?? grads[p.variable.name];
  if (g === undefined) throw new Error(`${who}.step: no gradient for '${name}'`);
  return p.weightDecay !== 0 ? tf.add(g, tf.mul(p.variable, tf.scalar(p.weightDecay))) : g;
}

/** Copy a saved buffer into `buf` (exactly; the shape must match). */
export function restoreBuffer(state: tf.NamedTensorMap, key: string, buf: tf.Variable, who: string): void {
  const t = state[key];
  if (t === undefined) throw new Error(`${who}.setState: no buffer '${key}'`);
  if (!tf.util.arraysEqual(t.shape, buf.shape)) throw new Error(`${who}.setState: '${key}' has shape [${t.shape}], expected [${buf.shape}]`);
  buf.assign(t);
}
