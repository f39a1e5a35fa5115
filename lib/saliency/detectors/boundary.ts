// `boundary`: the built-in classical detector (../boundary.ts, after Zhu et al., CVPR 2014); plain
// JS, no files, the toy default.
import { z } from 'zod';
import type { MapF32, RgbImage } from '../../types.ts';
import { boundarySaliency } from '../boundary.ts';
import { defineDetector } from '../detector-plugin.ts';
import type { SaliencyDetector } from '../spec.ts';

export const boundarySpecSchema = z
  .object({
    kind: z.literal('boundary'),
    maxSide: z.number().int().min(16).optional(),
    segments: z.number().int().min(4).optional(),
    compactness: z.number().positive().optional(),
    slicIterations: z.number().int().min(1).optional(),
    sigmaColor: z.number().positive().optional(),
    sigmaBndCon: z.number().positive().optional(),
    sigmaSpatial: z.number().positive().optional(),
    smoothMu: z.number().nonnegative().optional(),
    smoothWeight: z.number().nonnegative().optional(),
    edgeClip: z.number().nonnegative().optional(),
    borderLinks: z.number().int().nonnegative().optional(),
    gateContrast: z.number().min(0).max(1).optional(),
    normalize: z.enum(['max', 'none']).optional(),
    minPeak: z.number().min(0).max(1).optional(),
  })
  .strict();
export type BoundarySpec = z.infer<typeof boundarySpecSchema>;

class BoundaryDetector implements SaliencyDetector {
  readonly name = 'boundary';
  constructor(private readonly params: Omit<BoundarySpec, 'kind'>) {}
  async detect(img: RgbImage): Promise<MapF32> {
    return boundarySaliency(img, this.params);
  }
  async dispose(): Promise<void> {}
}

export const boundaryDetector = defineDetector({
  name: 'boundary',
  summary: 'built-in classical detector (boundary connectivity, Zhu et al. 2014); the toy default',
  spec: boundarySpecSchema,
  async create(spec) {
    const { kind: _kind, ...params } = spec;
    return new BoundaryDetector(params);
  },
});
