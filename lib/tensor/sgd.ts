// SGD with momentum in two forms:
//   'caffe' (as DeepLab was trained): v <- momentum * v + lr * lrMult * (g + weightDecay * w);  w <- w - v
//   'tf' (TensorFlow's MomentumOptimizer, which DCSP's code used):
//                                     v <- momentum * v + (g + weightDecay * w);  w <- w - lr * lrMult * v
// With a constant rate the two are the same; under a decaying rate 'tf' applies today's rate to the
// whole accumulated velocity, 'caffe' keeps each step's own rate inside it.
// Its state is one momentum buffer per variable (kept flat per group of variables that share lrMult
// and weight decay: param-groups.ts), exposed by name so a checkpoint can store it and a resumed run
// continues bit for bit. Per-variable lrMult (x10 / x20 for new heads) and weight decay.

import * as tf from '@tensorflow/tfjs';
import { trainedParams, type ParamSpec } from './optimiser-slots.ts';
import { assignFlat, flatDecayedGradient, flatWeights, groupParams, restoreFlat, stateByName, zeroFlat, type ParamGroup } from './param-groups.ts';

export type { ParamOptions } from './optimiser-slots.ts';

export type MomentumForm = 'caffe' | 'tf';

export interface MomentumSgdOptions {
  momentum?: number;
  /** where the learning rate enters (see the file comment); default 'caffe' */
  form?: MomentumForm;
  /** default weight decay for variables that do not set their own; default 0 */
  weightDecay?: number;
}

/** the velocity of a group of parameters sharing lrMult and weight decay, flat (param-groups.ts) */
interface Slot extends ParamGroup {
  velocity: tf.Variable;
}

export class MomentumSgd {
  readonly momentum: number;
  readonly form: MomentumForm;
  private readonly slots: Slot[] = [];

  /**
   * @param params variables by name (the names checkpoints use), each with optional per-variable
   *   options; a bare tf.Variable gets lrMult 1 and the default weight decay.
   */
  constructor(params: Record<string, ParamSpec>, opts: MomentumSgdOptions = {}) {
    this.momentum = opts.momentum ?? 0.9;
    this.form = opts.form ?? 'caffe';
    for (const g of groupParams(trainedParams(params, opts.weightDecay ?? 0))) {
      this.slots.push({ ...g, velocity: zeroFlat(g, 'momentum') });
    }
  }

  /** The variables this optimiser updates, for tf.variableGrads. */
  variables(): tf.Variable[] {
    return this.slots.flatMap((s) => s.members.map((m) => m.variable));
  }

  /**
   * One update with base learning rate lr. grads are keyed by variable *name as given to tfjs*
   * (what tf.variableGrads returns) or by our parameter names; the caller disposes them.
   */
  step(grads: tf.NamedTensorMap, lr: number): void {
    tf.tidy(() => {
      const m = tf.scalar(this.momentum);
      for (const slot of this.slots) {
        const w = flatWeights(slot);
        const d = flatDecayedGradient(grads, slot, w, 'MomentumSgd');
        const rate = tf.scalar(lr * slot.lrMult);
        if (this.form === 'tf') {
          const v = tf.add(tf.mul(slot.velocity, m), d);
          slot.velocity.assign(v);
          assignFlat(slot, tf.sub(w, tf.mul(v, rate)) as tf.Tensor1D);
        } else {
          const v = tf.add(tf.mul(slot.velocity, m), tf.mul(d, rate));
          slot.velocity.assign(v);
          assignFlat(slot, tf.sub(w, v) as tf.Tensor1D);
        }
      }
    });
  }

  /** Momentum buffers by '<param name>/momentum' (fresh tensors; the caller disposes them). */
  getState(): tf.NamedTensorMap {
    const out: tf.NamedTensorMap = {};
    for (const slot of this.slots) Object.assign(out, stateByName(slot, slot.velocity, 'momentum'));
    return out;
  }

  /** Restore buffers saved by getState (exact copy; shapes must match). */
  setState(state: tf.NamedTensorMap): void {
    for (const slot of this.slots) restoreFlat(state, slot, 'momentum', slot.velocity, 'MomentumSgd');
  }

  dispose(): void {
    for (const slot of this.slots) slot.velocity.dispose();
    this.slots.length = 0;
  }
}
