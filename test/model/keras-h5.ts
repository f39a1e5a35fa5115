// Keras-layout "notop" HDF5 files written with h5wasm, for the tests: the layer and weight names
// keras.applications uses, shapes taken from our (narrow) models, and the values each of our
// parameters must receive, written out independently of lib/model/keras-weights.ts's mapping.
import type { SegmentationModel } from '../../lib/model/model.ts';
import type { Prng } from '../../lib/tensor/random.ts';

/** unit: N(0, 1) everywhere (mapping tests); trained: magnitudes a network can run on (training tests) */
export type WeightScale = 'unit' | 'trained';

export type Entry = { layer: string; weight: string; shape: number[]; data: Float32Array };

export async function writeKerasH5(file: string, entries: Entry[]): Promise<void> {
  const h5mod = (await import('h5wasm/node')) as unknown as { default?: typeof import('h5wasm') } & typeof import('h5wasm');
  const h5 = h5mod.default ?? h5mod;
  await h5.ready;
  const f = new h5.File(file, 'w');
  const layers = [...new Set(entries.map((e) => e.layer))];
  f.create_attribute('layer_names', layers);
  f.create_attribute('backend', 'tensorflow');
  for (const layer of layers) {
    const g = f.create_group(layer);
    const mine = entries.filter((e) => e.layer === layer);
    g.create_attribute(
      'weight_names',
      mine.map((e) => `${layer}/${e.weight}:0`),
    );
    const inner = g.create_group(layer);
    for (const e of mine) inner.create_dataset({ name: `${e.weight}:0`, data: e.data, shape: e.shape, dtype: '<f' });
  }
  f.close();
}

/** Keras ResNet101 layer -> Caffe names, written out independently of the library's mapping. */
export function resnetEntries(model: SegmentationModel, rng: Prng, scale: WeightScale = 'unit'): { entries: Entry[]; expected: Map<string, Float32Array> } {
  const entries: Entry[] = [];
  const expected = new Map<string, Float32Array>();
  const fill = (n: number, std = 1, mean = 0) => new Float32Array(n).map(() => mean + std * rng.normal());
  const trained = scale === 'trained';
  const add = (keras: string, conv: string, bn: string) => {
    const w = model.params.get(`${conv}/weights`)!.variable;
    const c = w.shape[3] as number;
    const fanIn = (w.shape[0] as number) * (w.shape[1] as number) * (w.shape[2] as number);
    const kernel = fill(w.size, trained ? Math.sqrt(1 / fanIn) : 1);
    // a trained ResNet's last BN of each residual branch is small, which keeps 33 blocks of sums bounded
    const last = keras.endsWith('_3');
    const bias = fill(c, trained ? 0.05 : 1),
      beta = fill(c, trained ? 0.1 : 1),
      mean = fill(c, trained ? 0.1 : 1);
    const gamma = trained ? fill(c, last ? 0.02 : 0.1, last ? 0.1 : 1) : fill(c);
    const variance = new Float32Array(c).map(() => 0.5 + rng.next());
    entries.push({ layer: `${keras}_conv`, weight: 'kernel', shape: [...w.shape] as number[], data: kernel });
    entries.push({ layer: `${keras}_conv`, weight: 'bias', shape: [c], data: bias });
    for (const [k, v] of [
      ['gamma', gamma],
      ['beta', beta],
      ['moving_mean', mean],
      ['moving_variance', variance],
    ] as const) {
      entries.push({ layer: `${keras}_bn`, weight: k, shape: [c], data: v });
    }
    expected.set(`${conv}/weights`, kernel);
    expected.set(`${bn}/gamma`, gamma);
    expected.set(`${bn}/beta`, beta);
    expected.set(`${bn}/moving_variance`, variance);
    expected.set(
      `${bn}/moving_mean`,
      mean.map((m, i) => m - bias[i]),
    );
  };
  add('conv1', 'conv1', 'bn_conv1');
  const stages: Array<[number, number]> = [
    [2, 3],
    [3, 4],
    [4, 23],
    [5, 3],
  ];
  for (const [s, n] of stages) {
    for (let i = 1; i <= n; i++) {
      const letter = n === 3 ? 'abc'[i - 1] : i === 1 ? 'a' : `b${i - 1}`;
      const suffixes = ['1', '2a', '2b', '2c'];
      for (let j = i === 1 ? 0 : 1; j < 4; j++) add(`conv${s}_block${i}_${j}`, `res${s}${letter}_branch${suffixes[j]}`, `bn${s}${letter}_branch${suffixes[j]}`);
    }
  }
  return { entries, expected };
}

/** Keras VGG16 block{b}_conv{i} kernels and biases for a model with VGG16's conv names (LargeFOV, DHSNet). */
export function vgg16Entries(model: Pick<SegmentationModel, 'params'>, rng: Prng, scale: WeightScale = 'unit'): Entry[] {
  const entries: Entry[] = [];
  [2, 2, 3, 3, 3].forEach((n, b) => {
    for (let i = 1; i <= n; i++) {
      const w = model.params.get(`conv${b + 1}_${i}/weights`)!.variable;
      const cout = w.shape[3] as number;
      const fanIn = (w.shape[0] as number) * (w.shape[1] as number) * (w.shape[2] as number);
      const std = scale === 'trained' ? Math.sqrt(2 / fanIn) : 1;
      entries.push({
        layer: `block${b + 1}_conv${i}`,
        weight: 'kernel',
        shape: [...w.shape] as number[],
        data: new Float32Array(w.size).map(() => std * rng.normal()),
      });
      entries.push({
        layer: `block${b + 1}_conv${i}`,
        weight: 'bias',
        shape: [cout],
        data: new Float32Array(cout).map(() => (scale === 'trained' ? 0.01 : 1) * rng.normal()),
      });
    }
  });
  return entries;
}
