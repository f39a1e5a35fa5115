// Our COCO label maps (lib/data/coco) equal pycocotools' decoding under the same overlap rule,
// pixel for pixel, on a fixture the test makes: polygons, uncompressed and compressed RLE, crowd
// regions and overlapping instances. pycocotools comes from test/.venv-coco (.ci/run makes it);
// without it the comparison skips here and fails in CI.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { annotatedImages, annotationsByImage, parseCocoInstances } from '../../lib/data/coco/instances.ts';
import { cocoClasses, cocoImageLabels } from '../../lib/data/coco/label-map.ts';
import { cocoFixture, EMPTY_IMAGE, FIXTURE_CATEGORIES, type FixtureOptions } from './coco-fixture.ts';
import { removeDir, tempDir } from './helpers.ts';
import { pycocotoolsMissing, referenceLabelMaps } from './pycocotools.ts';

const dir = await tempDir('dcsp-coco-');
afterAll(() => removeDir(dir));

describe.skipIf(pycocotoolsMissing !== null)('COCO label maps against pycocotools', () => {
  const cases: { name: string; options: Partial<FixtureOptions> }[] = [
    ...[1, 2, 3].map((seed) => ({ name: `fixture seed ${seed}`, options: {} })),
    // larger images, longer polygons, more instances: more boundary cases per run
    {
      name: 'fixture seed 4, 160x120 images',
      options: {
        sizes: [
          [160, 120],
          [120, 160],
          [161, 97],
        ],
        empty: [],
        polygons: [6, 10],
        vertices: [8, 40],
      },
    },
  ];
  cases.forEach(({ name, options }, i) => {
    const seed = i + 1;
    it(`${name}: every pixel, tag and kept image agrees`, () => {
      const fixture = cocoFixture(seed, options);
      const file = join(dir, `instances-${seed}.json`);
      writeFileSync(file, JSON.stringify(fixture));
      const reference = referenceLabelMaps(file);

      const instances = parseCocoInstances(fixture, file);
      const byImage = annotationsByImage(instances);
      const kept = annotatedImages(instances, byImage);
      expect(kept.map((img) => img.id)).toEqual(reference.kept);
      if (options.empty === undefined) expect(kept).not.toContainEqual(expect.objectContaining({ id: fixture.images[EMPTY_IMAGE].id }));

      const classes = cocoClasses(instances);
      expect(classes.names).toEqual([...FIXTURE_CATEGORIES].sort((a, b) => a.id - b.id).map((c) => c.name));
      let overlap = 0;
      let crowd = 0;
      const seen = new Set<number>();
      for (const image of kept) {
        const ours = cocoImageLabels(image, byImage.get(image.id)!, classes, file);
        const ref = reference.images.get(image.id)!;
        expect(ours.tags, `tags of image ${image.id}`).toEqual(ref.tags);
        const differing: string[] = [];
        ours.labels.data.forEach((v, i) => {
          if (v !== ref.labels[i]) differing.push(`(${i % image.width}, ${Math.floor(i / image.width)}): ours ${v}, pycocotools ${ref.labels[i]}`);
        });
        expect(differing.slice(0, 5), `image ${image.id} (${image.width}x${image.height}): ${differing.length} pixels differ`).toEqual([]);
        expect(ours.labels.data.length).toBe(ref.labels.length);
        overlap += ref.overlap;
        crowd += ref.crowd;
        for (const v of ours.labels.data) seen.add(v);
      }
      // the fixture exercises what it claims to: overlaps, crowd regions, background and several classes
      expect(overlap).toBeGreaterThan(50);
      expect(crowd).toBeGreaterThan(50);
      expect(seen.has(0)).toBe(true);
      expect(seen.size).toBeGreaterThan(3);
    });
  });
});
