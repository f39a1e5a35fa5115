// Saliency detectors and hierarchical erasing. Entry point: createDetector(spec) from plain JSON.

import type { CreateDetectorOptions, DetectorSpec, SaliencyDetector } from './spec.ts';
import { parseDetectorSpec, parseDetectorSpecAsync } from './registry.ts';

export * from './spec.ts';
export * from './hierarchical.ts';
export { boundarySaliency, DEFAULT_BOUNDARY_PARAMS, type BoundaryParams } from './boundary.ts';
export { NAMED_MODELS, defaultModelDir } from './models.ts';
export { fileSystemHandler } from './tfjs-fs.ts';
export { ensureDownloaded, sha256File } from './download.ts';
export { preprocessSchema } from './preprocess.ts';
export { boundarySpecSchema } from './detectors/boundary.ts';
export { onnxSpecSchema } from './detectors/onnx.ts';
export { tfjsSpecSchema } from './detectors/tfjs.ts';
export { dhsnetSpecSchema } from './detectors/dhsnet.ts';
export { isnetSpecSchema } from './detectors/isnet.ts';
export { defineDetector, KEPT_FILES, type DetectorPlugin } from './detector-plugin.ts';
export { detectorNames, parseDetectorSpec } from './registry.ts';

/**
 * Build a detector from a spec (validated here, so raw JSON from YAML params is fine), with the
 * registry's detector of its `kind`, which loads its runtime only now.
 */
export async function createDetector(spec: DetectorSpec | unknown, opts: CreateDetectorOptions = {}): Promise<SaliencyDetector> {
  const { detector, spec: s } = await parseDetectorSpecAsync(spec);
  return detector.create(s, opts);
}

/** Canonical JSON (sorted keys) of a spec: a stable cache key for it. */
export function specKey(spec: DetectorSpec): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v as Record<string, unknown>)
          .sort()
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sort(spec));
}

const cached = new Map<string, Promise<SaliencyDetector>>();

/**
 * One detector per spec per thread, created on first use and kept: what a worker's per-item function
 * calls, so a model is loaded once per worker rather than once per image.
 */
export async function getDetector(spec: DetectorSpec | unknown, opts: CreateDetectorOptions = {}): Promise<SaliencyDetector> {
  // a plugin's detector in a fresh worker thread: its plugins are imported first, then the lookup below is synchronous
  await parseDetectorSpecAsync(spec);
  const s = parseDetectorSpec(spec);
  const key = `${specKey(s)}|${opts.modelDir ?? ''}|${opts.modelUrl ?? ''}|${opts.registry ?? ''}`;
  let d = cached.get(key);
  if (!d) {
    d = createDetector(s, opts);
    cached.set(key, d);
    d.catch(() => cached.delete(key));
  }
  return d;
}

/** Dispose every detector getDetector created in this thread. */
export async function disposeDetectors(): Promise<void> {
  const all = [...cached.values()];
  cached.clear();
  for (const d of all) await (await d.catch(() => null))?.dispose();
}
