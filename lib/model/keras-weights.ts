// ImageNet initialisation from the Keras applications "notop" HDF5 files (read with h5wasm).
//
// Keras layout: one group per layer at the root (or under /model_weights), each holding datasets
// whose last path component is '<weight>:0' (kernel, bias, gamma, beta, moving_mean,
// moving_variance). Kernels are [kh, kw, cin, cout], which is our layout; both networks take BGR
// mean-subtracted input ("caffe" preprocessing), as ours do.
//
// ResNet101: conv{S}_block{i}_{0,1,2,3}_{conv,bn} -> res{S}{a|b|c|b1..}_branch{1,2a,2b,2c} and
// bn{S}..., conv1_conv / conv1_bn -> conv1 / bn_conv1. Keras's convs carry a bias that the Caffe
// model has not; since each conv feeds a batch norm, BN(x + b) with moving mean m equals BN(x)
// with moving mean m - b, so the bias is folded into the mean exactly.
// VGG16: block{b}_conv{i} -> conv{b}_{i}. fc6/fc7 of LargeFOV are not in a notop file (random init).

import { promises as fs } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { ParamInfo } from './params.ts';
import { caffeBlockName, RESNET101_STAGES } from './resnet101.ts';
import { VGG16_BLOCKS } from './vgg16-largefov.ts';

export interface H5Tensor {
  shape: number[];
  data: Float32Array;
}

/** layer name -> weight name (without ':0') -> tensor */
export type KerasWeights = Map<string, Map<string, H5Tensor>>;

type H5Module = typeof import('h5wasm');

async function h5(): Promise<H5Module> {
  // The node build reads real paths; h5wasm's types are shared between its builds.
  const mod = (await import('h5wasm/node')) as unknown as { default?: H5Module } & H5Module;
  const lib = mod.default ?? mod;
  await lib.ready;
  return lib;
}

export async function readKerasH5(file: string): Promise<KerasWeights> {
  await fs.access(file).catch(() => {
    throw new Error(`ImageNet weights file ${file} does not exist`);
  });
  const lib = await h5();
  const f = new lib.File(file, 'r');
  try {
    const out: KerasWeights = new Map();
    let root: InstanceType<H5Module['Group']> = f;
    const mw = f.get('model_weights');
    if (mw instanceof lib.Group) root = mw;
    for (const layer of root.keys()) {
      const g = root.get(layer);
      if (!(g instanceof lib.Group)) continue;
      const weights = new Map<string, H5Tensor>();
      const walk = (group: InstanceType<H5Module['Group']>): void => {
        for (const key of group.keys()) {
          const e = group.get(key);
          if (e instanceof lib.Group) walk(e);
          else if (e instanceof lib.Dataset) {
            const v = e.value;
            if (!(v instanceof Float32Array) && !(v instanceof Float64Array)) {
              throw new Error(`${file}: ${layer}/${key} is not a float dataset`);
            }
            weights.set(key.replace(/:\d+$/, ''), { shape: [...(e.shape ?? [])], data: Float32Array.from(v) });
          }
        }
      };
      walk(g);
      if (weights.size > 0) out.set(layer, weights);
    }
    return out;
  } finally {
    f.close();
  }
}

/** One target parameter and where it comes from. */
export interface WeightSource {
  target: string;
  layer: string;
  weight: string;
  /** 'subtract-bias': target = source - (the conv bias at foldBias), for moving means */
  foldBias?: { layer: string; weight: string };
}

/** What an ImageNet initialisation needs of a model: its name and named parameters. */
export interface NamedParams {
  readonly name: string;
  readonly params: ReadonlyMap<string, ParamInfo>;
}

/** VGG16's 13 convs: Keras block{b}_conv{i} -> conv{b}_{i} (LargeFOV and DHSNet name them so). */
export function vgg16KerasMapping(): WeightSource[] {
  const out: WeightSource[] = [];
  for (const [b, n] of VGG16_BLOCKS) {
    for (let i = 1; i <= n; i++) {
      out.push({ target: `conv${b}_${i}/weights`, layer: `block${b}_conv${i}`, weight: 'kernel' });
      out.push({ target: `conv${b}_${i}/biases`, layer: `block${b}_conv${i}`, weight: 'bias' });
    }
  }
  return out;
}

/** The Keras -> model mapping of every parameter the file provides. */
export function kerasMapping(model: NamedParams): WeightSource[] {
  const out: WeightSource[] = [];
  if (model.name === 'deeplabv2-resnet101') {
    const convBn = (keras: string, conv: string, bn: string): void => {
      out.push({ target: `${conv}/weights`, layer: `${keras}_conv`, weight: 'kernel' });
      out.push({ target: `${bn}/gamma`, layer: `${keras}_bn`, weight: 'gamma' });
      out.push({ target: `${bn}/beta`, layer: `${keras}_bn`, weight: 'beta' });
      out.push({ target: `${bn}/moving_variance`, layer: `${keras}_bn`, weight: 'moving_variance' });
      out.push({ target: `${bn}/moving_mean`, layer: `${keras}_bn`, weight: 'moving_mean', foldBias: { layer: `${keras}_conv`, weight: 'bias' } });
    };
    convBn('conv1', 'conv1', 'bn_conv1');
    const branches = ['1', '2a', '2b', '2c'];
    for (const s of RESNET101_STAGES) {
      for (let i = 0; i < s.blocks; i++) {
        const id = `${s.stage}${caffeBlockName(i, s.blocks)}`;
        for (let j = i === 0 ? 0 : 1; j < 4; j++) convBn(`conv${s.stage}_block${i + 1}_${j}`, `res${id}_branch${branches[j]}`, `bn${id}_branch${branches[j]}`);
      }
    }
  } else if (model.name === 'deeplab-largefov-vgg16') {
    out.push(...vgg16KerasMapping());
  } else {
    throw new Error(`${model.name} has no ImageNet initialisation (it trains from scratch)`);
  }
  return out;
}

export interface InitReport {
  /** parameters set from the file */
  loaded: string[];
  /** trainable parameters left at their random init (ASPP, head, LargeFOV fc6/fc7) */
  randomInit: string[];
  /** file entries no parameter used */
  unused: string[];
}

/** Load a Keras notop HDF5 into the model's backbone; every mapped weight must exist with its shape. */
export async function loadKerasWeights(model: NamedParams, file: string, sources: WeightSource[] = kerasMapping(model)): Promise<InitReport> {
  const w = await readKerasH5(file);
  const used = new Set<string>();
  const take = (layer: string, weight: string): H5Tensor => {
    const t = w.get(layer)?.get(weight);
    if (t === undefined)
      throw new Error(
        `${file}: no weight ${layer}/${weight}:0 (is this the Keras ${model.name === 'deeplabv2-resnet101' ? 'ResNet101' : 'VGG16'} notop file?)`,
      );
    used.add(`${layer}/${weight}`);
    return t;
  };
  const values = new Map<string, Float32Array>();
  for (const s of sources) {
    const p = model.params.get(s.target);
    if (p === undefined) throw new Error(`mapping names unknown parameter ${s.target}`);
    const t = take(s.layer, s.weight);
    if (!tf.util.arraysEqual(t.shape, p.variable.shape)) {
      throw new Error(`${file}: ${s.layer}/${s.weight} has shape [${t.shape}], ${s.target} needs [${p.variable.shape}]`);
    }
    let data = t.data;
    if (s.foldBias !== undefined) {
      const b = w.get(s.foldBias.layer)?.get(s.foldBias.weight);
      if (b !== undefined) {
        used.add(`${s.foldBias.layer}/${s.foldBias.weight}`);
        data = data.map((m, i) => m - b.data[i]);
      }
    }
    values.set(s.target, data);
  }
  for (const [target, data] of values) {
    const v = model.params.get(target)!.variable;
    const t = tf.tensor(data, v.shape, 'float32');
    v.assign(t);
    t.dispose();
  }
  const unused: string[] = [];
  for (const [layer, ws] of w) for (const k of ws.keys()) if (!used.has(`${layer}/${k}`)) unused.push(`${layer}/${k}`);
  const randomInit = [...model.params].filter(([n, p]) => p.kind !== 'bn' && !values.has(n)).map(([n]) => n);
  return { loaded: [...values.keys()], randomInit, unused };
}
