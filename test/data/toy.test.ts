import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLabelPng } from '../../lib/data/label-png.ts';
import { Rng } from '../../lib/data/prng.ts';
import { splitStats, summarizeDataset } from '../../lib/data/summary.ts';
import { generateToyDataset, renderToySample, resolveToyOptions } from '../../lib/data/toy-generate.ts';
import { readVocLayout } from '../../lib/data/voc-layout.ts';
import { imageLabels, parseAnnotationXml } from '../../lib/data/voc-xml.ts';
import { makeSmallToy, readTree, removeDir, SMALL_TOY, tempDir } from './helpers.ts';
import { VOC_CLASSES } from '../../lib/types.ts';

let a: string;
let b: string;
let c: string;
beforeAll(async () => {
  [a, b, c] = await Promise.all([tempDir(), tempDir(), tempDir()]);
  await makeSmallToy(a);
  await makeSmallToy(b);
  await generateToyDataset(c, { ...SMALL_TOY, seed: 8 });
});
afterAll(async () => Promise.all([a, b, c].map(removeDir)));

describe('seeded PRNG', () => {
  it('repeats for a seed and differs across seeds', () => {
    const draw = (s: number) =>
      Array.from(
        { length: 8 },
        (
          (r) => () =>
            r.nextU32()
        )(new Rng(s)),
      );
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
    const r = new Rng(3);
    let sum = 0;
    for (let i = 0; i < 10000; i++) sum += r.next();
    expect(sum / 10000).toBeGreaterThan(0.48);
    expect(sum / 10000).toBeLessThan(0.52);
  });
});

describe('toy generator', () => {
  it('is deterministic: same seed, same bytes; another seed, other bytes', async () => {
    const ta = await readTree(a);
    const tb = await readTree(b);
    const tc = await readTree(c);
    expect([...ta.keys()].sort()).toEqual([...tb.keys()].sort());
    expect(ta.size).toBe(55 * 4 + 4); // jpg, png, fg png, xml per image + 4 lists
    for (const [k, v] of ta) if (!v.equals(tb.get(k)!)) throw new Error(`${k} differs between two runs with one seed`);
    const jpg = 'JPEGImages/train_000001.jpg';
    expect(ta.get(jpg)!.equals(tc.get(jpg)!)).toBe(false);
  });

  it('writes a VOC layout that the VOC reader indexes, XML labels agreeing with the masks', async () => {
    const index = await readVocLayout(a, { source: 'toy', expectedCounts: { train: 30, val: 20, test: 5 }, requireGt: ['train', 'val', 'test'] });
    expect(index.splits.train).toHaveLength(30);
    expect(index.splits.val[0]).toBe('val_000001');
    for (const id of [...index.splits.train, ...index.splits.val, ...index.splits.test]) {
      const img = index.images[id];
      expect(img.gt).toBe(`SegmentationClass/${id}.png`);
      expect(img.fg).toBe(`ForegroundMasks/${id}.png`);
      const label = await readLabelPng(join(a, img.gt!), { maxClass: VOC_CLASSES.length - 1 });
      const fg = await readLabelPng(join(a, img.fg!), { maxClass: VOC_CLASSES.length - 1 });
      expect([label.width, label.height]).toEqual([img.width, img.height]);
      const present = new Set<number>();
      let voids = 0;
      for (let i = 0; i < label.data.length; i++) {
        const v = label.data[i];
        if (v === 255) voids++;
        else if (v > 0) present.add(v);
        // the foreground mask is the class-agnostic version of the label map
        const want = v === 255 ? 255 : v > 0 ? 1 : 0;
        if (fg.data[i] !== want) throw new Error(`${id}: fg ${fg.data[i]} where label is ${v}`);
      }
      expect([...present].sort((x, y) => x - y)).toEqual(img.labels);
      expect(img.labels.length).toBeGreaterThanOrEqual(1);
      expect(img.objects).toBeGreaterThanOrEqual(img.labels.length);
      expect(img.objects).toBeLessThanOrEqual(4);
      expect(voids).toBeGreaterThan(0); // void band on object borders
      const xml = parseAnnotationXml(await readFile(join(a, 'Annotations', `${id}.xml`), 'utf8'));
      expect(imageLabels(xml)).toEqual(img.labels);
      expect(xml.width).toBe(img.width);
    }
    expect(summarizeDataset(index)).toMatch(/train\s+30\s+30/);
  });

  it('puts every class in train and in val', async () => {
    const index = await readVocLayout(a, { source: 'toy' });
    for (const split of ['train', 'val'] as const) {
      const per = splitStats(index, split).imagesPerClass;
      for (let cls = 1; cls <= 20; cls++) expect(per[cls], `class ${cls} in ${split}`).toBeGreaterThan(0);
    }
  });

  it('draws the hard cases: several classes, repeated classes, border objects, distractors, low contrast', () => {
    const opts = resolveToyOptions({ seed: 1 });
    let multiClass = 0;
    let repeated = 0;
    let truncated = 0;
    let distractors = 0;
    let lowContrast = 0;
    let classes = 0;
    const n = 150;
    for (let i = 0; i < n; i++) {
      const s = renderToySample(opts, 'train', i);
      const ids = s.instances.map((x) => x.classId);
      const uniq = new Set(ids).size;
      classes += uniq;
      if (uniq > 1) multiClass++;
      if (uniq < ids.length) repeated++;
      if (s.objects.some((o) => o.truncated)) truncated++;
      if (s.distractors > 0) distractors++;
      if (s.instances.some((x) => x.lowContrast)) lowContrast++;
    }
    expect(classes / n).toBeGreaterThan(1.3); // VOC averages about 1.5 classes per image
    expect(classes / n).toBeLessThan(1.8);
    for (const [name, count] of Object.entries({ multiClass, repeated, truncated, distractors, lowContrast })) {
      expect(count, name).toBeGreaterThan(n * 0.1);
    }
  });

  /** mean RGB of every (image, class) region over `n` samples, grouped by class */
  const classMeans = (opts: ReturnType<typeof resolveToyOptions>, n: number): Map<number, number[][]> => {
    const means = new Map<number, number[][]>();
    for (let i = 0; i < n; i++) {
      const s = renderToySample(opts, 'train', i);
      const sums = new Map<number, number[]>();
      for (let p = 0; p < s.label.data.length; p++) {
        const v = s.label.data[p];
        if (v === 0 || v === 255) continue;
        const acc = sums.get(v) ?? [0, 0, 0, 0];
        acc[0] += s.rgb.data[p * 3];
        acc[1] += s.rgb.data[p * 3 + 1];
        acc[2] += s.rgb.data[p * 3 + 2];
        acc[3]++;
        sums.set(v, acc);
      }
      for (const [cls, acc] of sums) {
        const list = means.get(cls) ?? [];
        list.push([acc[0] / acc[3], acc[1] / acc[3], acc[2] / acc[3]]);
        means.set(cls, list);
      }
    }
    return means;
  };

  it('without class hues, varies colour within a class, so colour alone does not identify it', () => {
    // per class, the spread of mean object colour across instances is large (std > 30 levels per channel)
    for (const [cls, list] of classMeans(resolveToyOptions({ seed: 2, classHues: false }), 120)) {
      if (list.length < 4) continue;
      const std = [0, 1, 2].map((ch) => {
        const m = list.reduce((s, x) => s + x[ch], 0) / list.length;
        return Math.sqrt(list.reduce((s, x) => s + (x[ch] - m) ** 2, 0) / list.length);
      });
      expect(Math.max(...std), `class ${cls}`).toBeGreaterThan(30);
    }
  });

  it('with class hues (the default), draws each class in its own hue on a muted scene', () => {
    const hue = ([r, g, b]: number[]): number => {
      const max = Math.max(r, g, b),
        min = Math.min(r, g, b),
        d = max - min;
      if (d === 0) return 0;
      const h = max === r ? ((g - b) / d + 6) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
      return h / 6;
    };
    let near = 0,
      total = 0;
    for (const [cls, list] of classMeans(resolveToyOptions({ seed: 2 }), 120)) {
      for (const rgb of list) {
        const d = Math.abs(hue(rgb) - (cls - 1) / 20);
        if (Math.min(d, 1 - d) < 0.04) near++;
        total++;
      }
    }
    // low-contrast instances are a tint over the scene and drift; the rest sit on their class hue
    expect(near / total).toBeGreaterThan(0.75);
  });

  it('rejects bad options with the option named', async () => {
    expect(() => resolveToyOptions({ minSize: 200, maxSize: 100 })).toThrow(/minSize/);
    expect(() => resolveToyOptions({ counts: { train: -1 } })).toThrow(/counts\.train/);
  });
});
