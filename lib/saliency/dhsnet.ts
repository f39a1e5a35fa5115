// The `dhsnet` detector: a DHSNet (dhsnet-model.ts) with weights from a tfjs-format folder. The
// folder is a saliency-train checkpoint (its metadata says which network and input size), or
// weights converted from another framework: any tfjs weights manifest whose tensor names are our
// parameter names (`dhsnetParamNames`), with `variant` / `inputSize` in the spec when the metadata
// does not say. Images are resized to the network's input, as the paper's 224x224, and the final
// map is resized back (bicubic, as DCSP's code does).

import * as tf from '@tensorflow/tfjs';
import { MEAN_BGR } from '../model/preprocess.ts';
import { initBackend } from '../tensor/backend.ts';
import type { MapF32, RgbImage } from '../types.ts';
import { buildDhsnet, dhsnetConfig, type DhsnetConfig, type DhsnetModel } from './dhsnet-model.ts';
import { imageToInput, outputToMap, resolvePreprocess, type ResolvedPreprocess } from './network-io.ts';
import { DHSNET_VARIANTS, type DhsnetSpec, type DhsnetVariant, type SaliencyDetector } from './spec.ts';
import { fileSystemHandler } from './tfjs-fs.ts';

/** What saliency-train writes into a checkpoint's metadata (extra.config.dhsnet). */
export interface DhsnetMetadata {
  dhsnet: DhsnetConfig;
}

/** The network's input as training feeds it (augment(): BGR minus the DeepLab mean), for imageToInput. */
export function dhsnetPreprocess(cfg: DhsnetConfig): ResolvedPreprocess {
  const [h, w] = cfg.inputSize;
  return resolvePreprocess({
    inputSize: [w, h],
    scale: 'raw',
    channelOrder: 'bgr',
    mean: [...MEAN_BGR],
    layout: 'nhwc',
    normalize: 'clamp',
    upsample: 'cubic',
  });
}

/** Parameter names and shapes a converted weights file must provide for a configuration. */
export function dhsnetParamNames(cfg: DhsnetConfig): { name: string; shape: number[] }[] {
  const model = buildDhsnet(cfg);
  try {
    return [...model.params].map(([name, p]) => ({ name, shape: [...p.variable.shape] }));
  } finally {
    model.dispose();
  }
}

function configFrom(meta: unknown, spec: Pick<DhsnetSpec, 'variant' | 'inputSize'>, where: string): DhsnetConfig {
  const saved = (meta as { extra?: { config?: Partial<DhsnetMetadata> } } | undefined)?.extra?.config?.dhsnet;
  if (saved) return saved;
  if (!spec.variant)
    throw new Error(
      `${where}: the weights do not say which DHSNet they are for; set variant (${DHSNET_VARIANTS.join(' or ')}) and inputSize in the detector options`,
    );
  return dhsnetConfig(spec.variant as DhsnetVariant, spec.inputSize);
}

/** Build the network a weights folder is for and load every parameter from it. */
export async function loadDhsnet(spec: Pick<DhsnetSpec, 'weights' | 'variant' | 'inputSize'>): Promise<DhsnetModel> {
  const art = await fileSystemHandler(spec.weights, { weightsOnly: true }).load!();
  const cfg = configFrom(art.userDefinedMetadata, spec, spec.weights);
  const data = art.weightData;
  if (!data || !art.weightSpecs) throw new Error(`${spec.weights}: no weights`);
  const tensors = tf.io.decodeWeights(data, art.weightSpecs);
  const model = buildDhsnet(cfg);
  try {
    for (const [name, p] of model.params) {
      const t = tensors[name];
      if (!t) throw new Error(`${spec.weights}: no weight '${name}' (a ${cfg.variant} at ${cfg.inputSize.join('x')} needs ${model.params.size} tensors)`);
      if (!tf.util.arraysEqual(t.shape, p.variable.shape))
        throw new Error(`${spec.weights}: weight '${name}' has shape [${t.shape}], ${cfg.variant} needs [${p.variable.shape}]`);
      p.variable.assign(t);
    }
    return model;
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/** The model's final map for one image, at the image's size. */
export async function predictMap(model: DhsnetModel, pre: ResolvedPreprocess, img: RgbImage): Promise<MapF32> {
  const { data, dims } = imageToInput(img, pre);
  // read outside tidy: tidy walks a returned TypedArray element by element
  const out = tf.tidy(() => model.predict(tf.tensor4d(data, dims as [number, number, number, number])));
  try {
    return outputToMap(await out.data(), out.shape, pre, img.width, img.height);
  } finally {
    out.dispose();
  }
}

class DhsnetDetector implements SaliencyDetector {
  readonly name: string;
  private readonly pre: ResolvedPreprocess;
  constructor(
    private model: DhsnetModel | null,
    where: string,
  ) {
    this.name = `dhsnet:${where}`;
    this.pre = dhsnetPreprocess(model!.config);
  }

  async detect(img: RgbImage): Promise<MapF32> {
    const model = this.model;
    if (!model) throw new Error(`${this.name}: detector was disposed`);
    return predictMap(model, this.pre, img);
  }

  async dispose(): Promise<void> {
    this.model?.dispose();
    this.model = null;
  }
}

export async function createDhsnetDetector(spec: DhsnetSpec): Promise<SaliencyDetector> {
  // the backend the rest of the tensor code uses (wasm unless DCSP_BACKEND says otherwise)
  await initBackend({ log: () => {} });
  return new DhsnetDetector(await loadDhsnet(spec), spec.weights);
}
