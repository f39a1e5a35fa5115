// tfjs salient-object detector: a saved graph or layers model loaded from disk with the node:fs
// handler. @tensorflow/tfjs is imported lazily so users of the built-in detector never load it.

import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { MapF32, RgbImage } from '../types.ts';
import { imageToInput, outputToMap, resolvePreprocess, type ResolvedPreprocess } from './network-io.ts';
import type { CreateDetectorOptions, SaliencyDetector, TfjsSpec } from './spec.ts';
import { fileSystemHandler } from './tfjs-fs.ts';

type Tf = typeof import('@tensorflow/tfjs');
type Model = import('@tensorflow/tfjs').GraphModel | import('@tensorflow/tfjs').LayersModel;

async function detectFormat(path: string): Promise<'graph' | 'layers'> {
  const s = await stat(path).catch(() => null);
  const jsonPath = s?.isDirectory() ? join(path, 'model.json') : path;
  const json = JSON.parse(await readFile(jsonPath, 'utf8')) as { format?: string; modelTopology?: Record<string, unknown> };
  if (json.format === 'graph-model' || (json.modelTopology && 'node' in json.modelTopology)) return 'graph';
  return 'layers';
}

async function useBackend(tf: Tf, backend: 'cpu' | 'wasm' | undefined): Promise<void> {
  if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (backend && tf.getBackend() !== backend) {
    const ok = await tf.setBackend(backend);
    if (!ok) throw new Error(`tfjs backend '${backend}' failed to initialise`);
  }
  await tf.ready();
}

class TfjsDetector implements SaliencyDetector {
  constructor(
    readonly name: string,
    private readonly tf: Tf,
    private model: Model | null,
    private readonly pre: ResolvedPreprocess,
  ) {}

  async detect(img: RgbImage): Promise<MapF32> {
    const model = this.model;
    if (!model) throw new Error(`${this.name}: detector was disposed`);
    const tf = this.tf;
    const { data, dims } = imageToInput(img, this.pre);
    // Read values outside tidy: tidy walks returned TypedArrays element by element (slow).
    const out = tf.tidy(() => {
      const x = tf.tensor(data, dims, 'float32');
      const y = model.predict(x) as import('@tensorflow/tfjs').Tensor | import('@tensorflow/tfjs').Tensor[];
      const list = Array.isArray(y) ? y : [y];
      const idx = typeof this.pre.output === 'number' ? this.pre.output : 0;
      const t = list[idx];
      if (!t) throw new Error(`${this.name}: model has no output ${String(this.pre.output)}`);
      return t.toFloat();
    });
    try {
      const values = await out.data();
      return outputToMap(values as Float32Array, out.shape, this.pre, img.width, img.height);
    } finally {
      out.dispose();
    }
  }

  async dispose(): Promise<void> {
    this.model?.dispose();
    this.model = null;
  }
}

export async function createTfjsDetector(spec: TfjsSpec, _opts: CreateDetectorOptions = {}): Promise<SaliencyDetector> {
  const tf: Tf = await import('@tensorflow/tfjs');
  await useBackend(tf, spec.backend);
  const format = spec.format && spec.format !== 'auto' ? spec.format : await detectFormat(spec.path);
  const handler = fileSystemHandler(spec.path);
  const model: Model = format === 'graph' ? await tf.loadGraphModel(handler) : await tf.loadLayersModel(handler);
  // tfjs models are channels-last by convention
  const pre = resolvePreprocess(spec, { layout: 'nhwc', inputSize: inferInputSize(model) });
  return new TfjsDetector(`tfjs:${spec.path}`, tf, model, pre);
}

function inferInputSize(model: Model): [number, number] | undefined {
  const shape = 'inputs' in model && Array.isArray(model.inputs) ? model.inputs[0]?.shape : undefined;
  if (shape && shape.length === 4 && typeof shape[1] === 'number' && typeof shape[2] === 'number' && shape[1] > 0 && shape[2] > 0) {
    return [shape[2], shape[1]];
  }
  return undefined;
}
