// `pipeline doctor --profile coco`: the estimate counts COCO's published images at their size (the
// source's declared shape, handed to estimate.ts as a toy set of the same pixels), and the
// downloads are listed with their pinned sizes.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolvePipeline } from '../../lib/dag/resolve.ts';
import { COCO_2014, COCO_2014_ANNOTATIONS } from '../../lib/data/coco/archives.ts';
import { estimateRun, type Measurer, type Timed } from '../../lib/doctor/estimate.ts';
import { withSourceShape } from '../../lib/doctor/source-shape.ts';
import { neededFiles } from '../../lib/doctor/system.ts';

const PIPELINE = join(resolve(import.meta.dirname, '../..'), 'pipeline.yaml');
const timed = (seconds: number): Timed => ({ seconds, macs: 0, note: '' });
const sizes: [number, number][] = [];
const machine: Measurer = {
  trainStep: async () => timed(1),
  forward: async (_n, at) => {
    sizes.push(...at);
    return at.map(([w, h]) => timed(1e-6 * w * h));
  },
  saliencyStep: async () => timed(0.1),
  detect: async () => timed(0.03),
  crf: async () => 0.05,
  decode: async () => 0.004,
  augment: async () => 0.001,
  startup: async () => ({ process: 0, thread: 0 }),
  checkpoint: async () => ({ save: 0, load: 0 }),
  toyImage: async () => 0,
};
const dir = mkdtempSync(join(tmpdir(), 'dcsp-doctor-coco-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('doctor on the coco profile', () => {
  it("estimates COCO's annotated images at COCO's pixels per image", async () => {
    const r = await resolvePipeline(PIPELINE, { profile: 'coco', set: [] });
    const shaped = withSourceShape(r.stages);
    const e = shaped.relabel(await estimateRun(shaped.stages, machine, { slots: { cores: 2, gpus: 0, jobs: 2 }, trainingThreads: 1 }));
    expect(e.images).toEqual({ train: COCO_2014.train.annotatedCount, val: COCO_2014.val.annotatedCount, test: 0, width: 640, height: 480 });
    // the forward passes run at a square of 640 x 480's area, to the pixel's rounding
    expect(Math.abs(sizes[0][0] * sizes[0][1] - 640 * 480) / (640 * 480)).toBeLessThan(0.01);
    const attention = e.stages.find((s) => s.stage === 'attention')!;
    expect(attention.how).toMatch(/^82,081 images x/);
    expect(e.stages.find((s) => s.stage === 'dataset')).toMatchObject({ seconds: null, how: expect.stringMatching(/not estimated/) });
    // the voc profile is untouched
    const voc = await resolvePipeline(PIPELINE, { profile: 'voc', set: [] });
    expect(withSourceShape(voc.stages).stages).toBe(voc.stages);
  });

  it('counts the expected overrides, and lists the three downloads with their pinned sizes', async () => {
    const r = await resolvePipeline(PIPELINE, { profile: 'coco', set: ['dataset.coco.expected={val: {annotated: 7}}'] });
    const shaped = withSourceShape(r.stages);
    const e = shaped.relabel(await estimateRun(shaped.stages, machine, { slots: { cores: 2, gpus: 0, jobs: 2 }, trainingThreads: 1 }));
    expect(e.images.val).toBe(7);
    mkdirSync(join(dir, 'coco', '2014', 'annotations'), { recursive: true });
    writeFileSync(join(dir, 'coco', '2014', 'annotations', '.complete'), '');
    const files = neededFiles(r.stages, dir).filter((f) => f.what.startsWith('COCO'));
    expect(files.map((f) => [f.path.slice(dir.length), f.bytes, f.present])).toEqual([
      [`/coco/downloads/${COCO_2014_ANNOTATIONS.filename}`, COCO_2014_ANNOTATIONS.bytes, true],
      [`/coco/downloads/${COCO_2014.train.images.filename}`, COCO_2014.train.images.bytes, false],
      [`/coco/downloads/${COCO_2014.val.images.filename}`, COCO_2014.val.images.bytes, false],
    ]);
  });
});
