// pycocotools, the reference decoder of COCO masks, from the venv .ci/run makes (test/.venv-coco:
// `python3 -m venv` and pip's `pycocotools`). Without it the comparison skips saying why, except
// in CI (CI or DCSP_REQUIRE_PYCOCOTOOLS set), where it fails: our label maps must be proven equal
// to pycocotools' there.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { venvTool } from '../python-venv.ts';

const REFERENCE = join(resolve(import.meta.dirname, '../..'), 'test/data/coco_label_maps.py');
const tool = venvTool({
  venv: 'test/.venv-coco',
  pip: 'pycocotools',
  module: 'pycocotools.mask',
  requireEnv: 'DCSP_REQUIRE_PYCOCOTOOLS',
  name: 'pycocotools comparison',
});
export const pycocotoolsMissing = tool.missing;

export interface ReferenceImage {
  labels: Uint8Array;
  tags: number[];
  /** pixels under two or more instances */
  overlap: number;
  /** pixels under a crowd region */
  crowd: number;
}

export interface ReferenceLabels {
  kept: number[];
  images: Map<number, ReferenceImage>;
}

/** pycocotools' label maps of an instances file (test/data/coco_label_maps.py). */
export function referenceLabelMaps(instancesJson: string): ReferenceLabels {
  const r = spawnSync(tool.python, [REFERENCE, instancesJson], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`the pycocotools reference failed on ${instancesJson}: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { kept: number[]; images: Record<string, Omit<ReferenceImage, 'labels'> & { labels: string }> };
  const images = new Map(Object.entries(out.images).map(([id, v]) => [Number(id), { ...v, labels: new Uint8Array(Buffer.from(v.labels, 'base64')) }]));
  return { kept: out.kept, images };
}
