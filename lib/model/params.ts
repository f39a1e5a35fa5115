// Named model parameters. Every weight is a tf.Variable registered under the name checkpoints and
// the Keras mapping use ('res2a_branch2a/weights', 'bn_conv1/moving_mean', 'fc1_voc12_d0/biases'),
// tagged with what it is (kind) and where it sits (group), which is all the optimiser needs to give
// it a learning-rate multiplier and a weight decay, and all the trainer needs to freeze it.

import * as tf from '@tensorflow/tfjs';
import { deriveSeed, seededNormal } from '../tensor/random.ts';

/** weights: conv kernels (decayed); biases: conv biases; bn: frozen batch-norm tensors */
export type ParamKind = 'weights' | 'biases' | 'bn';
/** backbone: ImageNet-initialised trunk (x1); aspp: segmentation classifier (x10/x20); head: FCAN 1x1 filters (x10/x20) */
export type ParamGroup = 'backbone' | 'aspp' | 'head';

export interface ParamInfo {
  variable: tf.Variable;
  kind: ParamKind;
  group: ParamGroup;
}

export type ConvInit = 'he' | 'gaussian-0.01' | 'zeros';

let instances = 0;

export class ParamStore {
  readonly params = new Map<string, ParamInfo>();
  private readonly prefix: string;
  private readonly seed: number;
  private counter = 0;

  constructor(modelName: string, seed: number) {
    instances += 1;
    // tfjs variable names are global to the process; the prefix keeps two models apart.
    this.prefix = `${modelName}#${instances}`;
    this.seed = seed;
  }

  private add(name: string, value: tf.Tensor, kind: ParamKind, group: ParamGroup): tf.Variable {
    if (this.params.has(name)) throw new Error(`duplicate parameter '${name}'`);
    const variable = tf.variable(value, kind !== 'bn', `${this.prefix}/${name}`);
    value.dispose();
    this.params.set(name, { variable, kind, group });
    return variable;
  }

  /** The next seed; each tensor gets its own stream derived from the model seed and its position. */
  private nextSeed(): number {
    this.counter += 1;
    return deriveSeed(this.seed, this.counter);
  }

  /** Conv kernel [k, k, cin, cout] named '<layer>/weights' (and '<layer>/biases' if bias). */
  conv(
    layer: string,
    k: number,
    cin: number,
    cout: number,
    opts: { group: ParamGroup; bias: boolean; init?: ConvInit; scale?: number },
  ): { w: tf.Variable; b?: tf.Variable } {
    const init = opts.init ?? 'he';
    const seed = this.nextSeed();
    const shape: [number, number, number, number] = [k, k, cin, cout];
    const std = init === 'he' ? Math.sqrt(2 / (k * k * cin)) * (opts.scale ?? 1) : init === 'gaussian-0.01' ? 0.01 : 0;
    const w = this.add(`${layer}/weights`, std === 0 ? tf.zeros(shape) : seededNormal(shape, std, seed), 'weights', opts.group);
    const b = opts.bias ? this.add(`${layer}/biases`, tf.zeros([cout]), 'biases', opts.group) : undefined;
    return { w, b };
  }

  /** Frozen batch norm '<name>/{gamma,beta,moving_mean,moving_variance}', identity until loaded. */
  batchNorm(name: string, channels: number): FrozenBn {
    return {
      gamma: this.add(`${name}/gamma`, tf.ones([channels]), 'bn', 'backbone'),
      beta: this.add(`${name}/beta`, tf.zeros([channels]), 'bn', 'backbone'),
      mean: this.add(`${name}/moving_mean`, tf.zeros([channels]), 'bn', 'backbone'),
      variance: this.add(`${name}/moving_variance`, tf.ones([channels]), 'bn', 'backbone'),
    };
  }

  dispose(): void {
    tf.dispose([...this.params.values()].map((p) => p.variable));
    this.params.clear();
  }
}

export interface FrozenBn {
  gamma: tf.Variable;
  beta: tf.Variable;
  mean: tf.Variable;
  variance: tf.Variable;
}

/** Parameters (elements) of the given kinds. */
export function countParams(params: ReadonlyMap<string, ParamInfo>, kinds: readonly ParamKind[] = ['weights', 'biases']): number {
  let n = 0;
  for (const p of params.values()) if (kinds.includes(p.kind)) n += p.variable.size;
  return n;
}
