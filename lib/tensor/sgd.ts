// SGD with momentum in two forms:
//   'caffe' (as DeepLab was trained): v <- momentum * v + lr * lrMult * (g + weightDecay * w);  w <- w - v
//   'tf' (TensorFlow's MomentumOptimizer, which DCSP's code used):
//                                     v <- momentum * v + (g + weightDecay * w);  w <- w - lr * lrMult * v
// With a constant rate the two are the same; under a decaying rate 'tf' applies today's rate to the
// whole accumulated velocity, 'caffe' keeps each step's own rate inside it.
// Its state is one momentum buffer per variable, exposed by name so a checkpoint can store it and a
// resumed run continues bit for bit. Per-variable lrMult (x10 / x20 for new heads) and weight decay.

import * as tf from '@tensorflow/tfjs';

export interface ParamOptions {
  /** multiplies the learning rate for this variable; default 1 */
  lrMult?: number;
  /** L2 weight decay for this variable; default the optimiser's weightDecay */
  weightDecay?: number;
}

export type MomentumForm = 'caffe' | 'tf';

export interface MomentumSgdOptions {
  momentum?: number;
  /** where the learning rate enters (see the file comment); default 'caffe' */
  form?: MomentumForm;
  /** default weight decay for variables that do not set their own; default 0 */
  weightDecay?: number;
}

interface Slot {
  variable: tf.Variable;
  velocity: tf.Variable;
  lrMult: number;
  weightDecay: number;
}

export class MomentumSgd {
  readonly momentum: number;
  readonly form: MomentumForm;
  private readonly slots = new Map<string, Slot>();

  /**
   * @param params variables by name (the names checkpoints use), each with optional per-variable
   *   options; a bare tf.Variable gets lrMult 1 and the default weight decay.
   */
  constructor(params: Record<string, tf.Variable | { variable: tf.Variable } & ParamOptions>, opts: MomentumSgdOptions = {}) {
    this.momentum = opts.momentum ?? 0.9;
    this.form = opts.form ?? 'caffe';
    const defaultDecay = opts.weightDecay ?? 0;
    for (const [name, p] of Object.entries(params)) {
      const variable = p instanceof tf.Variable ? p : p.variable;
      const o: ParamOptions = p instanceof tf.Variable ? {} : p;
      // tf.variable keeps its own reference to the data; the initial tensor must be freed.
      const zeros = tf.zerosLike(variable);
      const velocity = tf.variable(zeros, false, `${name}/momentum-${uniqueSuffix()}`);
      zeros.dispose();
      this.slots.set(name, {
        variable,
        velocity,
        lrMult: o.lrMult ?? 1,
        weightDecay: o.weightDecay ?? defaultDecay,
      });
    }
  }

  /** The variables this optimiser updates, for tf.variableGrads. */
  variables(): tf.Variable[] {
    return [...this.slots.values()].map((s) => s.variable);
  }

  /**
   * One update with base learning rate lr. grads are keyed by variable *name as given to tfjs*
   * (what tf.variableGrads returns) or by our parameter names; the caller disposes them.
   */
  step(grads: tf.NamedTensorMap, lr: number): void {
    tf.tidy(() => {
      const m = tf.scalar(this.momentum);
      for (const [name, slot] of this.slots) {
        const g = grads[name] ?? grads[slot.variable.name];
        if (g === undefined) throw new Error(`MomentumSgd.step: no gradient for '${name}'`);
        const d = slot.weightDecay !== 0 ? tf.add(g, tf.mul(slot.variable, tf.scalar(slot.weightDecay))) : g;
        const rate = tf.scalar(lr * slot.lrMult);
        if (this.form === 'tf') {
          const v = tf.add(tf.mul(slot.velocity, m), d);
          slot.velocity.assign(v);
          slot.variable.assign(tf.sub(slot.variable, tf.mul(v, rate)));
        } else {
          const v = tf.add(tf.mul(slot.velocity, m), tf.mul(d, rate));
          slot.velocity.assign(v);
          slot.variable.assign(tf.sub(slot.variable, v));
        }
      }
    });
  }

  /** Momentum buffers by '<param name>/momentum' (fresh tensors; the caller disposes them). */
  getState(): tf.NamedTensorMap {
    const out: tf.NamedTensorMap = {};
    for (const [name, slot] of this.slots) out[`${name}/momentum`] = slot.velocity.clone();
    return out;
  }

  /** Restore buffers saved by getState (exact copy; shapes must match). */
  setState(state: tf.NamedTensorMap): void {
    for (const [name, slot] of this.slots) {
      const t = state[`${name}/momentum`];
      if (t === undefined) throw new Error(`MomentumSgd.setState: no momentum buffer for '${name}'`);
      if (!tf.util.arraysEqual(t.shape, slot.velocity.shape)) {
        throw new Error(`MomentumSgd.setState: '${name}' has shape [${t.shape}], expected [${slot.velocity.shape}]`);
      }
      slot.velocity.assign(t);
    }
  }

  dispose(): void {
    for (const slot of this.slots.values()) slot.velocity.dispose();
    this.slots.clear();
  }
}

let counter = 0;
// tfjs variable names are global per process; two optimisers over the same names must not clash.
function uniqueSuffix(): string {
  counter += 1;
  return String(counter);
}
