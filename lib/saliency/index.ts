// Saliency detectors and hierarchical erasing. Entry point: createDetector(spec) from plain JSON.

import type { MapF32, RgbImage } from '../types.ts';
import { boundarySaliency } from './boundary.ts';
import { parseDetectorSpec, type BoundarySpec, type CreateDetectorOptions, type DetectorSpec, type SaliencyDetector } from './spec.ts';

export * from './spec.ts';
export * from './hierarchical.ts';
export { boundarySaliency, DEFAULT_BOUNDARY_PARAMS, type BoundaryParams } from './boundary.ts';
export { NAMED_MODELS, defaultModelDir } from './models.ts';
export { fileSystemHandler } from './tfjs-fs.ts';
export { ensureDownloaded, sha256File } from './download.ts';

class BoundaryDetector implements SaliencyDetector {
  readonly name = 'boundary';
  constructor(private readonly params: Omit<BoundarySpec, 'kind'>) {}
  async detect(img: RgbImage): Promise<MapF32> {
    return boundarySaliency(img, this.params);
  }
  async dispose(): Promise<void> {}
}

/**
 * Build a detector from a spec (validated here, so raw JSON from YAML params is fine). The onnx and
 * tfjs kinds load their runtimes lazily.
 */
export async function createDetector(spec: DetectorSpec | unknown, opts: CreateDetectorOptions = {}): Promise<SaliencyDetector> {
  const s = parseDetectorSpec(spec);
  switch (s.kind) {
    case 'boundary': {
      const { kind: _kind, ...params } = s;
      return new BoundaryDetector(params);
    }
    case 'onnx': {
      const { createOnnxDetector } = await import('./onnx.ts');
      return createOnnxDetector(s, opts);
    }
    case 'tfjs': {
      const { createTfjsDetector } = await import('./tfjs.ts');
      return createTfjsDetector(s, opts);
    }
    case 'dhsnet': {
      const { createDhsnetDetector } = await import('./dhsnet.ts');
      return createDhsnetDetector(s);
    }
    case 'isnet': {
      const { createIsnetDetector } = await import('./isnet.ts');
      return createIsnetDetector(s, opts);
    }
  }
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
export function getDetector(spec: DetectorSpec | unknown, opts: CreateDetectorOptions = {}): Promise<SaliencyDetector> {
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
