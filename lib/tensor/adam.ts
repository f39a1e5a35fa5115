// Adam (Kingma and Ba 2015) with the same surface as MomentumSgd: per-variable lrMult and L2 weight
// decay (added to the gradient, as the SGD path does), state exposed by name for checkpoints.
// DCSP trains with momentum SGD from ImageNet weights; Adam is here for networks trained from
// scratch on small data (the toy profile's deeplab-lite), where SGD at any stable rate needs far more
// iterations than a CPU quick start can afford (lib/model/README.md has the measurements).

import * as tf from '@tensorflow/tfjs';
import { trainedParams, type ParamSpec } from './optimiser-slots.ts';
import { assignFlat, flatDecayedGradient, flatWeights, groupParams, restoreFlat, stateByName, zeroFlat, type ParamGroup } from './param-groups.ts';

export interface AdamOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** default weight decay for variables that do not set their own; default 0 */
  weightDecay?: number;
}

/** m and v of a group of parameters sharing lrMult and weight decay, flat (param-groups.ts) */
interface Slot extends ParamGroup {
  m: tf.Variable;
  v: tf.Variable;
}

export class Adam {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private readonly slots: Slot[] = [];
  /** updates applied so far (bias correction); part of the state so a resumed run continues exactly */
  private t = 0;

  constructor(params: Record<string, ParamSpec>, opts: AdamOptions = {}) {
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.epsilon = opts.epsilon ?? 1e-8;
    for (const g of groupParams(trainedParams(params, opts.weightDecay ?? 0))) {
      this.slots.push({ ...g, m: zeroFlat(g, 'adam-m'), v: zeroFlat(g, 'adam-v') });
    }
  }

  variables(): tf.Variable[] {
    return this.slots.flatMap((s) => s.members.map((m) => m.variable));
  }

  step(grads: tf.NamedTensorMap, lr: number): void {
    this.t += 1;
    const c1 = 1 - this.beta1 ** this.t;
    const c2 = 1 - this.beta2 ** this.t;
    tf.tidy(() => {
      for (const slot of this.slots) {
        const w = flatWeights(slot);
        const g = flatDecayedGradient(grads, slot, w, 'Adam');
        const m = tf.add(tf.mul(slot.m, this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(slot.v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        slot.m.assign(m);
        slot.v.assign(v);
        const update = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), this.epsilon));
        assignFlat(slot, tf.sub(w, tf.mul(update, lr * slot.lrMult)) as tf.Tensor1D);
      }
    });
  }

  getState(): tf.NamedTensorMap {
    const out: tf.NamedTensorMap = { 'adam/step': tf.scalar(this.t) };
    for (const slot of this.slots) Object.assign(out, stateByName(slot, slot.m, 'adam_m'), stateByName(slot, slot.v, 'adam_v'));
    return out;
  }

  setState(state: tf.NamedTensorMap): void {
    const step = state['adam/step'];
    if (step === undefined) throw new Error('Adam.setState: no step count (a checkpoint of another optimiser?)');
    this.t = step.dataSync()[0];
    for (const slot of this.slots) {
      restoreFlat(state, slot, 'adam_m', slot.m, 'Adam');
      restoreFlat(state, slot, 'adam_v', slot.v, 'Adam');
    }
  }

  dispose(): void {
    for (const s of this.slots) {
      s.m.dispose();
      s.v.dispose();
    }
    this.slots.length = 0;
  }
}
