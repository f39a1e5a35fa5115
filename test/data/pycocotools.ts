// pycocotools, the reference decoder of COCO masks, from the venv .ci/run makes (test/.venv-coco:
// `python3 -m venv` and pip's `pycocotools`). Without it the comparison skips saying why, except
// in CI (CI or DCSP_REQUIRE_PYCOCOTOOLS set), where it fails: our label maps must be proven equal
// to pycocotools' there.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
export const COCO_PYTHON = join(ROOT, 'test/.venv-coco/bin/python');
const REFERENCE = join(ROOT, 'test/data/coco_label_maps.py');

/** Why pycocotools cannot be used here, or null when it can. */
function unavailable(): string | null {
  if (!existsSync(COCO_PYTHON))
    return `${COCO_PYTHON} is missing (make it as .ci/run does: python3 -m venv test/.venv-coco && test/.venv-coco/bin/pip install pycocotools)`;
  const r = spawnSync(COCO_PYTHON, ['-c', 'import pycocotools.mask'], { encoding: 'utf8' });
  return r.status === 0 ? null : `pycocotools does not import in test/.venv-coco: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-1)[0]}`;
}

export const pycocotoolsMissing = unavailable();
export const pycocotoolsRequired = Boolean(process.env.CI) || process.env.DCSP_REQUIRE_PYCOCOTOOLS === '1';
if (pycocotoolsMissing && pycocotoolsRequired) throw new Error(`pycocotools is required here (CI) but ${pycocotoolsMissing}`);
if (pycocotoolsMissing) console.warn(`skipping the pycocotools comparison: ${pycocotoolsMissing}; in CI it fails instead`);

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
  const r = spawnSync(COCO_PYTHON, [REFERENCE, instancesJson], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`the pycocotools reference failed on ${instancesJson}: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { kept: number[]; images: Record<string, Omit<ReferenceImage, 'labels'> & { labels: string }> };
  const images = new Map(Object.entries(out.images).map(([id, v]) => [Number(id), { ...v, labels: new Uint8Array(Buffer.from(v.labels, 'base64')) }]));
  return { kept: out.kept, images };
}
