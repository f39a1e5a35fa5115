// Seeded random numbers for weight initialisation and tests. tfjs's own seeded initialisers differ
// between backends and versions; these give the same bits everywhere, so a run is reproducible from
// its seed alone.

import * as tf from '@tensorflow/tfjs';

/** A 32-bit PRNG (SplitMix32 mixing of a Weyl sequence): fast, tiny state, good enough for init. */
export class Prng {
  private state: number;
  private spare: number | null = null;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** uniform 32-bit unsigned integer */
  nextUint32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** uniform in [0, 1) */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** standard normal (Box-Muller; both values of a pair are used) */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function seededNormalArray(n: number, std: number, seed: number, mean = 0): Float32Array {
  const rng = new Prng(seed);
  const out = new Float32Array(n);
  for (let k = 0; k < n; k++) out[k] = mean + std * rng.normal();
  return out;
}

export function seededUniformArray(n: number, lo: number, hi: number, seed: number): Float32Array {
  const rng = new Prng(seed);
  const out = new Float32Array(n);
  for (let k = 0; k < n; k++) out[k] = lo + (hi - lo) * rng.next();
  return out;
}

/** N(mean, std^2) tensor, identical on every backend for a given seed. */
export function seededNormal<R extends tf.Rank>(shape: number[], std: number, seed: number, mean = 0): tf.Tensor<R> {
  return tf.tensor(seededNormalArray(size(shape), std, seed, mean), shape as tf.ShapeMap[R], 'float32') as tf.Tensor<R>;
}

/** U[lo, hi) tensor, identical on every backend for a given seed. */
export function seededUniform<R extends tf.Rank>(shape: number[], lo: number, hi: number, seed: number): tf.Tensor<R> {
  return tf.tensor(seededUniformArray(size(shape), lo, hi, seed), shape as tf.ShapeMap[R], 'float32') as tf.Tensor<R>;
}

/**
 * He (Kaiming) normal init for a conv filter [kh, kw, Cin, Cout]: std = sqrt(2 / fanIn), the usual
 * choice in front of a ReLU.
 */
export function heNormalFilter(shape: [number, number, number, number], seed: number): tf.Tensor4D {
  const fanIn = shape[0] * shape[1] * shape[2];
  return seededNormal<tf.Rank.R4>(shape, Math.sqrt(2 / fanIn), seed);
}

/** Derive independent seeds for several tensors from one run seed. */
export function deriveSeed(seed: number, index: number): number {
  const rng = new Prng((seed ^ Math.imul(index + 1, 0x27d4eb2d)) >>> 0);
  return rng.nextUint32();
}
