// Time to read a COCO instances file and to make label maps from it, on a synthetic file at COCO
// 2014's scale per image (640 x 480, about 7.4 annotations each, polygons plus a crowd RLE and a
// compressed RLE), and pycocotools' time for the same label maps when test/.venv-coco exists.
// Run: node --expose-gc --import tsx bench/coco-labels.ts [images, default 500]

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { annotatedImages, annotationsByImage, readCocoInstances } from '../lib/data/coco/instances.ts';
import { cocoClasses, cocoImageLabels } from '../lib/data/coco/label-map.ts';
import { cocoFixture } from '../test/data/coco-fixture.ts';

const count = Number(process.argv[2] ?? 500);
const out = join(import.meta.dirname, '.tmp', 'coco-labels');
await mkdir(out, { recursive: true });
const file = join(out, 'instances.json');
const fixture = cocoFixture(1, { sizes: Array.from({ length: count }, () => [640, 480] as const), empty: [], polygons: [3, 7], vertices: [12, 40] });
await writeFile(file, JSON.stringify(fixture));
const mb = (await stat(file)).size / 1e6;

globalThis.gc?.();
const heapBefore = process.memoryUsage().heapUsed;
let t = performance.now();
const instances = await readCocoInstances(file);
const readMs = performance.now() - t;
globalThis.gc?.();
const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
const byImage = annotationsByImage(instances);
const classes = cocoClasses(instances);
const kept = annotatedImages(instances, byImage);

t = performance.now();
let painted = 0;
for (const image of kept) painted += cocoImageLabels(image, byImage.get(image.id)!, classes, file).labels.data.reduce((n, v) => n + (v ? 1 : 0), 0);
const labelMs = (performance.now() - t) / kept.length;

const n = instances.annotations.length;
console.log(`${kept.length} images, ${n} annotations (${(n / kept.length).toFixed(1)} per image), ${mb.toFixed(1)} MB of JSON`);
console.log(
  `read + check: ${readMs.toFixed(0)} ms (${(readMs / mb).toFixed(1)} ms/MB); the records take about ${heapMb.toFixed(0)} MB of heap (${(heapMb / mb).toFixed(1)}x the file)`,
);
console.log(`label map + tags: ${labelMs.toFixed(2)} ms per image (${((100 * painted) / (kept.length * 640 * 480)).toFixed(0)}% of pixels labelled)`);

const python = join(import.meta.dirname, '../test/.venv-coco/bin/python');
if (existsSync(python)) {
  // the same maps with pycocotools' decoding and numpy, JSON read and COCO's index not counted
  const script = `
import json, sys, time, contextlib, numpy as np
from pycocotools.coco import COCO
from pycocotools import mask as mu
with contextlib.redirect_stdout(sys.stderr): coco = COCO(sys.argv[1])
cls = {c: k + 1 for k, c in enumerate(sorted(coco.getCatIds()))}
ids = [i for i in coco.imgs if coco.getAnnIds(imgIds=[i])]
t = time.perf_counter()
for i in ids:
    img = coco.imgs[i]; lab = np.zeros((img['height'], img['width']), np.uint8)
    for a in sorted(coco.loadAnns(coco.getAnnIds(imgIds=[i])), key=lambda a: a['area']):
        m = mu.decode(coco.annToRLE(a)); lab = np.where(lab > 0, lab, m * cls[a['category_id']]).astype(np.uint8)
print((time.perf_counter() - t) * 1000 / len(ids))`;
  const r = spawnSync(python, ['-c', script, file], { encoding: 'utf8' });
  if (r.status === 0) console.log(`pycocotools + numpy, same rule: ${Number(r.stdout).toFixed(2)} ms per image`);
  else console.log(`pycocotools timing failed: ${r.stderr.trim().split('\n').slice(-1)[0]}`);
}
