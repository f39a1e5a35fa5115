// ONNX salient-object detector on onnxruntime-node (its CPU provider, or CUDA's: lib/tensor/onnx-provider.ts). onnxruntime is imported lazily so that users
// of the built-in detector never load its native binding.

import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { onnxExecutionProviders } from '../tensor/onnx-provider.ts';
import type { MapF32, RgbImage } from '../types.ts';
import { ensureDownloaded, sha256File } from './download.ts';
import { defaultModelDir, NAMED_MODELS } from './models.ts';
import { imageToInput, outputToMap, resolvePreprocess, type ResolvedPreprocess } from './network-io.ts';
import type { CreateDetectorOptions, OnnxSpec, SaliencyDetector } from './spec.ts';

/** Resolve a spec's `model` to a local file: a path as is (checksum-checked if pinned), a name via the cache. */
export async function resolveOnnxModel(spec: OnnxSpec, opts: CreateDetectorOptions = {}): Promise<{ path: string; defaults: Partial<ResolvedPreprocess> }> {
  const named = NAMED_MODELS[spec.model];
  if (named) {
    const dest = join(opts.modelDir ?? defaultModelDir(), `${spec.model}.onnx`);
    const exists = await stat(dest)
      .then((s) => s.isFile())
      .catch(() => false);
    if (!exists && opts.download === false) {
      throw new Error(`saliency model '${spec.model}' is not in ${dest} and downloads are disabled`);
    }
    await ensureDownloaded(opts.modelUrl ?? named.url, dest, { sha256: named.sha256, bytes: named.bytes });
    return { path: dest, defaults: named.preprocess };
  }
  const path = resolve(spec.model);
  const ok = await stat(path)
    .then((s) => s.isFile())
    .catch(() => false);
  if (!ok) {
    throw new Error(`saliency model '${spec.model}' is neither a file nor a known name (${Object.keys(NAMED_MODELS).join(', ')})`);
  }
  if (spec.sha256) {
    const got = await sha256File(path);
    if (got !== spec.sha256) throw new Error(`${path}: sha256 ${got} does not match the pinned ${spec.sha256}`);
  }
  return { path, defaults: {} };
}

type Ort = typeof import('onnxruntime-node');
type Session = import('onnxruntime-node').InferenceSession;

class OnnxDetector implements SaliencyDetector {
  constructor(
    readonly name: string,
    private readonly ort: Ort,
    private session: Session | null,
    private readonly pre: ResolvedPreprocess,
  ) {}

  async detect(img: RgbImage): Promise<MapF32> {
    const session = this.session;
    if (!session) throw new Error(`${this.name}: detector was disposed`);
    const { data, dims } = imageToInput(img, this.pre);
    const input = new this.ort.Tensor('float32', data, dims);
    const outName = typeof this.pre.output === 'number' ? session.outputNames[this.pre.output] : this.pre.output;
    if (outName === undefined || !session.outputNames.includes(outName)) {
      throw new Error(`${this.name}: no output ${String(this.pre.output)} (outputs: ${session.outputNames.join(', ')})`);
    }
    const result = await session.run({ [session.inputNames[0]]: input }, [outName]);
    const out = result[outName];
    try {
      if (out.type !== 'float32') throw new Error(`${this.name}: output ${outName} is ${out.type}, expected float32`);
      return outputToMap(out.data as Float32Array, out.dims, this.pre, img.width, img.height);
    } finally {
      out.dispose();
      input.dispose();
    }
  }

  async dispose(): Promise<void> {
    const s = this.session;
    this.session = null;
    await s?.release();
  }
}

export async function createOnnxDetector(spec: OnnxSpec, opts: CreateDetectorOptions = {}, name = `onnx:${spec.model}`): Promise<SaliencyDetector> {
  const { path, defaults } = await resolveOnnxModel(spec, opts);
  const ort: Ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(path, {
    // the provider the stage's key names (lib/tensor/onnx-provider.ts): the CUDA provider rounds otherwise
    executionProviders: onnxExecutionProviders(),
    intraOpNumThreads: spec.threads ?? 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const pre = resolvePreprocess(spec, defaults);
  return new OnnxDetector(name, ort, session, pre);
}
