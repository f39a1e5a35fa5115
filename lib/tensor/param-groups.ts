// The optimisers' parameters in groups that share a learning-rate multiplier and a weight decay,
// each group's state kept as one flat buffer, so that an update costs a dozen tensor ops per group
// instead of per variable. On tfjs-node every op costs tens of microseconds of dispatch whatever its
// size: Adam over deeplab-lite's 30 variables was ~480 ops, as long as TensorFlow's whole training
// step. The arithmetic is element-wise with the same scalars, so every result bit is what the
// per-variable update gives; checkpoints keep one buffer per parameter name, as before.

import * as tf from '@tensorflow/tfjs';
import type { TrainedParam } from './optimiser-slots.ts';

export interface GroupMember {
  name: string;
  variable: tf.Variable;
  size: number;
}

export interface ParamGroup {
  lrMult: number;
  weightDecay: number;
  members: GroupMember[];
  /** total elements */
  size: number;
}

/** Group in first-seen order of (lrMult, weightDecay); members keep the table's order. */
export function groupParams(params: readonly [string, TrainedParam][]): ParamGroup[] {
  const groups = new Map<string, ParamGroup>();
  for (const [name, p] of params) {
    const key = `${p.lrMult}|${p.weightDecay}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = { lrMult: p.lrMult, weightDecay: p.weightDecay, members: [], size: 0 };
      groups.set(key, g);
    }
    g.members.push({ name, variable: p.variable, size: p.variable.size });
    g.size += p.variable.size;
  }
  return [...groups.values()];
}

// 1-D tensors (biases) skip the reshape: on tfjs-node a reshape is a TensorFlow op like any other.
function flatten(ts: readonly tf.Tensor[]): tf.Tensor1D {
  const flat = ts.map((t) => (t.rank === 1 ? t : tf.reshape(t, [-1])));
  return (flat.length === 1 ? flat[0] : tf.concat(flat)) as tf.Tensor1D;
}

/** The group's weights end to end. */
export function flatWeights(g: ParamGroup): tf.Tensor1D {
  return flatten(g.members.map((m) => m.variable));
}

/** g + weightDecay * w over the group; grads keyed by our name or by the tfjs variable name. */
export function flatDecayedGradient(grads: tf.NamedTensorMap, g: ParamGroup, w: tf.Tensor1D, who: string): tf.Tensor1D {
  const parts = g.members.map((m) => {
    const grad = grads[m.name] ?? grads[m.variable.name];
    if (grad === undefined) throw new Error(`${who}.step: no gradient for '${m.name}'`);
    return grad;
  });
  const flat = flatten(parts);
  return g.weightDecay !== 0 ? tf.add(flat, tf.mul(w, tf.scalar(g.weightDecay))) : flat;
}

/** A flat buffer cut back into the members' shapes, in member order. */
export function unflatten(g: ParamGroup, flat: tf.Tensor1D): tf.Tensor[] {
  const pieces =
    g.members.length === 1
      ? [flat]
      : tf.split(
          flat,
          g.members.map((m) => m.size),
        );
  return pieces.map((p, i) => (g.members[i].variable.rank === 1 ? p : tf.reshape(p, g.members[i].variable.shape)));
}

/** Assign a flat buffer to the group's variables. */
export function assignFlat(g: ParamGroup, flat: tf.Tensor1D): void {
  unflatten(g, flat).forEach((t, i) => {
    g.members[i].variable.assign(t);
  });
}

let counter = 0;

/** A zero buffer for a group; tfjs variable names are global per process, hence the counter. */
export function zeroFlat(g: ParamGroup, name: string): tf.Variable {
  const zeros = tf.zeros([g.size]);
  counter += 1;
  const out = tf.variable(zeros, false, `${name}-${counter}`);
  zeros.dispose();
  return out;
}

/** A flat state buffer as one fresh tensor per parameter, keyed `${name}/${suffix}`. */
export function stateByName(g: ParamGroup, buf: tf.Variable, suffix: string): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  const parts = tf.tidy(() => unflatten(g, buf as tf.Tensor as tf.Tensor1D).map((t) => t.clone()));
  parts.forEach((t, i) => {
    out[`${g.members[i].name}/${suffix}`] = t;
  });
  return out;
}

/** Restore a flat buffer from per-parameter tensors saved by stateByName (shapes must match). */
export function restoreFlat(state: tf.NamedTensorMap, g: ParamGroup, suffix: string, buf: tf.Variable, who: string): void {
  const parts = g.members.map((m) => {
    const key = `${m.name}/${suffix}`;
    const t = state[key];
    if (t === undefined) throw new Error(`${who}.setState: no buffer '${key}'`);
    if (!tf.util.arraysEqual(t.shape, m.variable.shape)) throw new Error(`${who}.setState: '${key}' has shape [${t.shape}], expected [${m.variable.shape}]`);
    return t;
  });
  tf.tidy(() => buf.assign(flatten(parts)));
}
