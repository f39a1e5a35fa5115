// The dataset of a run as estimate.ts can read it. Its datasetShape knows the toy and voc sources
// by their params; a source that declares its published shape (lib/data/sources: `shape`, coco's)
// is handed to it here as a toy set of the same counts and the same pixels per image (a square of
// that area), and the estimate's figures are then labelled with the true size. Seam: once
// datasetShape asks the source itself (estimate.ts, kept by another change), this goes.
import { basename } from 'node:path';
import type { ResolvedStage } from '../dag/resolve.ts';
import { isBuiltInSource, sourceShape } from '../data/sources/registry.ts';
import type { RunEstimate } from './estimate.ts';

export interface ShapedStages {
  stages: ResolvedStage[];
  /** the estimate labelled with the source's own image size, its preparation unestimated as VOC's is */
  relabel(e: RunEstimate): RunEstimate;
}

export function withSourceShape(stages: ResolvedStage[]): ShapedStages {
  const data = stages.find((s) => basename(s.module, '.ts') === 'dataset');
  const p = data?.params ?? {};
  const source = String(p.source ?? 'toy');
  const shape = source === 'toy' || source === 'voc' ? undefined : sourceShape(source, isBuiltInSource(source) ? p[source] : (p.options ?? {}));
  if (!data || !shape) return { stages, relabel: (e) => e };
  const side = Math.round(Math.sqrt(shape.width * shape.height));
  const toy = { counts: { train: shape.train, val: shape.val, test: shape.test }, minSize: side, maxSize: side };
  return {
    stages: stages.map((s) => (s === data ? { ...s, params: { ...s.params, source: 'toy', toy } } : s)),
    relabel: (e) => ({
      ...e,
      images: shape,
      stages: e.stages.map((s) =>
        s.stage === data.name ? { ...s, seconds: null, how: `downloads and preparation of ${source}: not estimated (network speed)` } : s,
      ),
    }),
  };
}
