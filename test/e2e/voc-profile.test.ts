// The voc profile itself, through the CLI, on VOC-format data the test makes: a VOC2012 trainval tar
// and test tar, an SBD tgz with cls/*.mat ground truth, a DUTS-TR zip and Keras-named HDF5 files
// for ResNet101 and VGG16 (narrow copies), all served on 127.0.0.1 and pinned by the test's own
// MD5s through $DCSP_MIRRORS. Only sizes are overridden (image counts, width divisor, iterations,
// crop); everything else is the profile's: ImageNet init, DHSNet trained on DUTS as S1's detector,
// train -> adapt -> retrain, the oracle on the SBD/VOC ground truth, eval-direct, the report.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGrayPng, readLabelPng } from '../../lib/data/label-png.ts';
import { VOC_SOURCES } from '../../lib/data/prepare-voc.ts';
import { buildModel } from '../../lib/model/build.ts';
import { IMAGENET_WEIGHTS } from '../../lib/model/init-download.ts';
import { DUTS_TR } from '../../lib/saliency/duts.ts';
import { Artifact } from '../../lib/store/artifact.ts';
import { initBackend } from '../../lib/tensor/backend.ts';
import { Prng } from '../../lib/tensor/random.ts';
import { buildTar, makeSmallToy, serveFiles, type TarEntry } from '../data/helpers.ts';
import { sbdClsMat } from '../data/mat5-writer.ts';
import { resnetEntries, vgg16Entries, writeKerasH5, type Entry } from '../model/keras-h5.ts';
import { VOC_CLASSES } from '../../lib/types.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'dcsp-voc-e2e-'));
const cache = join(work, 'cache');
const WIDTH = 16;
const SIZES = [
  'dataset.voc.includeTest=true',
  'dataset.voc.expectedCounts={train: 10, val: 3, test: 2}',
  'dataset.meanSample=10',
  'saliency-train.duts.pairs=6',
  'saliency-train.holdout=1',
  `saliency-train.widthDivisor=${WIDTH}`,
  'saliency-train.size=32',
  'saliency-train.iterations=2',
  'saliency-train.batch=2',
  `fcan-pretrain.widthDivisor=${WIDTH}`,
  'fcan-pretrain.iterations=2',
  'fcan-pretrain.batch=2',
  'fcan-pretrain.crop=48',
  'train.iterations=2',
  'train.batch=2',
  'train.crop=48',
  'retrain.iterations=2',
  'retrain.batch=2',
  'retrain.crop=48',
].flatMap((s) => ['--set', s]);

let server: Awaited<ReturnType<typeof serveFiles>>;
let env: Record<string, string>;
let train: string[], val: string[], test: string[];
const vocTrain = () => train.slice(0, 4);
const sbdOnly = () => train.slice(4);
const sbdLabels = new Map<string, Uint8Array>();
let resnetExpected: Map<string, Float32Array>;
let vggEntries: Entry[];

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
const sha256 = (a: Float32Array) =>
  createHash('sha256')
    .update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
    .digest('hex');

interface Outcome {
  stage: string;
  status: 'cached' | 'run';
  key: string;
  // biome-ignore lint/suspicious/noExplicitAny: parsed JSON metrics, walked by the paths each test asserts on (a wrong path fails its expect)
  metrics: Record<string, any>;
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await execa(process.execPath, [join(ROOT, 'bin/pipeline.mjs'), ...args, '--profile', 'voc', '--cache', cache, '--json', ...SIZES], {
    cwd: ROOT,
    env,
    reject: false,
  });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

const artifact = (o: Outcome[], stage: string) => Artifact.open(join(cache, stage, o.find((x) => x.stage === stage)!.key));

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', log: () => {} });
  const toy = await makeSmallToy(join(work, 'toy'), { seed: 5, counts: { train: 10, val: 3, test: 2 }, minSize: 56, maxSize: 64 });
  const list = async (s: string) => (await readFile(join(toy, 'ImageSets/Segmentation', `${s}.txt`), 'utf8')).trim().split('\n');
  [train, val, test] = await Promise.all([list('train'), list('val'), list('test')]);
  const file = (dir: string, name: string) => readFile(join(toy, dir, name));
  const P = 'VOCdevkit/VOC2012/';

  // VOC2012 trainval: every image, VOC's segmentation lists cover 4 train ids + val; the rest is SBD's
  const voc: TarEntry[] = [];
  for (const id of [...train, ...val]) {
    voc.push(
      { name: `${P}JPEGImages/${id}.jpg`, data: await file('JPEGImages', `${id}.jpg`) },
      { name: `${P}Annotations/${id}.xml`, data: await file('Annotations', `${id}.xml`) },
    );
  }
  for (const id of [...vocTrain(), ...val]) voc.push({ name: `${P}SegmentationClass/${id}.png`, data: await file('SegmentationClass', `${id}.png`) });
  voc.push(
    { name: `${P}ImageSets/Segmentation/train.txt`, data: `${vocTrain().join('\n')}\n` },
    { name: `${P}ImageSets/Segmentation/val.txt`, data: `${val.join('\n')}\n` },
  );
  const testTar: TarEntry[] = [{ name: `${P}ImageSets/Segmentation/test.txt`, data: `${test.join('\n')}\n` }];
  for (const id of test) testTar.push({ name: `${P}JPEGImages/${id}.jpg`, data: await file('JPEGImages', `${id}.jpg`) });

  // SBD: its lists name the SBD-only ids (and one VOC val id, which train_aug must drop); cls/*.mat
  // carry their labels (SBD has no void: the toy's void band becomes background)
  const sbd: TarEntry[] = [];
  for (const id of sbdOnly()) {
    const m = await readLabelPng(join(toy, 'SegmentationClass', `${id}.png`), { maxClass: VOC_CLASSES.length - 1 });
    const labels = m.data.map((v) => (v === 255 ? 0 : v));
    sbdLabels.set(id, labels);
    sbd.push({ name: `benchmark_RELEASE/dataset/cls/${id}.mat`, data: sbdClsMat({ ...m, data: labels }) });
  }
  sbd.push({ name: 'benchmark_RELEASE/dataset/train.txt', data: `${sbdOnly().slice(0, 4).join('\n')}\n` });
  sbd.push({ name: 'benchmark_RELEASE/dataset/val.txt', data: `${[...sbdOnly().slice(4), val[0]].join('\n')}\n` });

  // DUTS-TR: six image / mask pairs (toy images, their foreground as the mask)
  const duts: Record<string, Uint8Array> = {};
  for (const id of train.slice(0, 6)) {
    duts[`${DUTS_TR.images}/${id}.jpg`] = await file('JPEGImages', `${id}.jpg`);
    const gt = await readLabelPng(join(toy, 'SegmentationClass', `${id}.png`), { maxClass: VOC_CLASSES.length - 1 });
    duts[`${DUTS_TR.masks}/${id}.png`] = encodeGrayPng({ ...gt, data: gt.data.map((v) => (v > 0 && v < 255 ? 255 : 0)) });
  }

  // Keras notop files at the test's width: ResNet101 for the FCAN, VGG16 for DHSNet and LargeFOV
  const resnet = buildModel('deeplabv2-resnet101', { classes: VOC_CLASSES.length, widthDivisor: WIDTH });
  const r = resnetEntries(resnet, new Prng(11), 'trained');
  resnetExpected = r.expected;
  await writeKerasH5(join(work, 'resnet.h5'), r.entries);
  resnet.dispose();
  const vgg = buildModel('deeplab-largefov-vgg16', { classes: VOC_CLASSES.length, widthDivisor: WIDTH });
  vggEntries = vgg16Entries(vgg, new Prng(12), 'trained');
  await writeKerasH5(join(work, 'vgg.h5'), vggEntries);
  vgg.dispose();

  const files = new Map<string, Uint8Array>([
    ['/voc.tar', await buildTar(voc)],
    ['/test.tar', await buildTar(testTar)],
    ['/sbd.tgz', await buildTar(sbd, true)],
    ['/duts.zip', zipSync(duts)],
    ['/resnet.h5', readFileSync(join(work, 'resnet.h5'))],
    ['/vgg.h5', readFileSync(join(work, 'vgg.h5'))],
  ]);
  server = await serveFiles(files);
  const mirror = (path: string) => ({ url: `${server.base}${path}`, md5: md5(files.get(path)!) });
  const mirrors = {
    [VOC_SOURCES.voc.url]: mirror('/voc.tar'),
    [VOC_SOURCES.sbd.url]: mirror('/sbd.tgz'),
    [VOC_SOURCES.test.url]: mirror('/test.tar'),
    [DUTS_TR.url]: mirror('/duts.zip'),
    [IMAGENET_WEIGHTS['deeplabv2-resnet101']!.url]: mirror('/resnet.h5'),
    [IMAGENET_WEIGHTS['deeplab-largefov-vgg16']!.url]: mirror('/vgg.h5'),
  };
  writeFileSync(join(work, 'mirrors.json'), JSON.stringify(mirrors));
  env = { DCSP_MIRRORS: join(work, 'mirrors.json'), FORCE_COLOR: '0' };
}, 120_000);

afterAll(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the voc profile end to end on VOC-format fixtures', () => {
  let outcomes: Outcome[];
  beforeAll(async () => {
    const r = await cli(['run']);
    expect(r.code, r.stderr.slice(-4000)).toBe(0);
    outcomes = (JSON.parse(r.stdout) as { outcomes: Outcome[] }).outcomes;
  }, 600_000);

  it('runs every stage of the profile, saliency-train included, to the report', () => {
    expect(outcomes.map((o) => o.stage).sort()).toEqual([
      'adapt',
      'attention',
      'cues',
      'cues-oracle',
      'dataset',
      'erase-s2',
      'erase-s3',
      'eval',
      'eval-direct',
      'eval-oracle',
      'fcan-pretrain',
      'report',
      'retrain',
      'saliency-s1',
      'saliency-train',
      'train',
      'train-oracle',
    ]);
    expect(outcomes.every((o) => o.status === 'run')).toBe(true);
    const m = Object.fromEntries(outcomes.map((o) => [o.stage, o.metrics]));
    expect(m.dataset.train.images).toBe(10);
    expect(m.dataset.train.withGt).toBe(10);
    // the oracle trained as long as train + retrain together
    expect(m['train-oracle'].iterations).toBe(m.train.iterations + m.retrain.iterations);
    expect(m.eval.images).toBe(3);
    expect(existsSync(join(cache, 'report', outcomes.find((o) => o.stage === 'report')!.key, 'report.html'))).toBe(true);
  });

  it("fcan-pretrain's trunk at iteration 0 is the HDF5 file's, and heads-only training leaves it there", async () => {
    const fcan = await artifact(outcomes, 'fcan-pretrain');
    const init = await fcan.json<{ loaded: number; randomInit: string[]; sha256: Record<string, string> }>('init.json');
    expect(init.loaded).toBe(resnetExpected.size);
    for (const [name, want] of resnetExpected) expect(init.sha256[name], name).toBe(sha256(want));
    expect(init.randomInit.every((n) => n.startsWith('fc1_voc12'))).toBe(true);
    const { loadCheckpoint, disposeCheckpoint } = await import('../../lib/tensor/checkpoint.ts');
    const ck = await loadCheckpoint(join(fcan.dir, 'checkpoint'));
    for (const name of ['conv1/weights', 'res4b22_branch2c/weights', 'bn5c_branch2b/moving_mean']) {
      expect(sha256(ck.weights[name].dataSync() as Float32Array), name).toBe(sha256(resnetExpected.get(name)!));
    }
    disposeCheckpoint(ck);
  });

  it('S1 came from the DHSNet saliency-train trained on DUTS from the VGG16 file', async () => {
    const m = Object.fromEntries(outcomes.map((o) => [o.stage, o.metrics]));
    expect(m['saliency-train'].initLoaded).toBe(vggEntries.length);
    expect(m['saliency-train'].iterations).toBe(2);
    const trained = await artifact(outcomes, 'saliency-train');
    const s1 = await artifact(outcomes, 'saliency-s1');
    const spec = await s1.json<{ kind: string }>('detector.json');
    expect(spec.kind).toBe('dhsnet');
    // the pass ran with exactly the trained weights' bytes
    const files = readdirSync(join(trained.dir, 'checkpoint')).sort();
    expect(readdirSync(join(s1.dir, 'detector')).sort()).toEqual(files);
    for (const f of files) expect(md5(readFileSync(join(s1.dir, 'detector', f)))).toBe(md5(readFileSync(join(trained.dir, 'checkpoint', f))));
    // and its map of an image is what that network computes
    const { createDetector, firstPass, toUint8 } = await import('../../lib/saliency/index.ts');
    const { readRgb } = await import('../../lib/data/image-io.ts');
    const d = await createDetector({ kind: 'dhsnet', weights: join(trained.dir, 'checkpoint') });
    const id = train[0];
    const dsRoot = join(cache, 'data', 'voc', 'VOC2012');
    const mine = toUint8((await firstPass(d, await readRgb(join(dsRoot, 'JPEGImages', `${id}.jpg`)))).combined).data;
    const stored = (await (await s1.items('s')).read(id)).data as Uint8Array;
    await d.dispose();
    let diff = 0;
    for (let i = 0; i < mine.length; i++) diff = Math.max(diff, Math.abs(mine[i] - stored[i]));
    expect(diff).toBeLessThanOrEqual(1);
  });

  it("the oracle's cues are the SBD ground truth (from cls/*.mat) and VOC's own PNGs", async () => {
    const cues = await (await artifact(outcomes, 'cues-oracle')).items('cue');
    for (const id of sbdOnly()) expect(Buffer.from((await cues.read(id)).data as Uint8Array).equals(Buffer.from(sbdLabels.get(id)!)), id).toBe(true);
    const root = join(cache, 'data', 'voc', 'VOC2012');
    for (const id of vocTrain()) {
      const gt = await readLabelPng(join(root, 'SegmentationClass', `${id}.png`), { maxClass: VOC_CLASSES.length - 1 });
      expect(Buffer.from((await cues.read(id)).data as Uint8Array).equals(Buffer.from(gt.data)), id).toBe(true);
    }
  });

  it('eval on the test split writes the evaluation server layout; nothing before eval re-runs', async () => {
    const r = await cli(['run', '--until', 'eval', '--set', 'eval.split=test']);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const o = (JSON.parse(r.stdout) as { outcomes: Outcome[] }).outcomes;
    expect(o.filter((x) => x.status === 'run').map((x) => x.stage)).toEqual(['eval']);
    const dir = join(cache, 'eval', o.find((x) => x.stage === 'eval')!.key);
    expect(readdirSync(join(dir, 'results/VOC2012/Segmentation/comp6_test_cls')).sort()).toEqual(test.map((id) => `${id}.png`).sort());
    expect(existsSync(join(dir, 'results.tar.gz'))).toBe(true);
  }, 300_000);

  it('the VGG16 variant runs to eval: convs from the HDF5 file, fc6/fc7 trained by heads-only pretraining', async () => {
    const r = await cli(['run', '--until', 'eval', '--set', 'fcan-pretrain.model=deeplab-largefov-vgg16']);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const o = (JSON.parse(r.stdout) as { outcomes: Outcome[] }).outcomes;
    expect(
      o
        .filter((x) => x.status === 'cached')
        .map((x) => x.stage)
        .sort(),
    ).toEqual(['dataset', 'erase-s2', 'erase-s3', 'saliency-s1', 'saliency-train']);
    const fcan = await artifact(o, 'fcan-pretrain');
    const init = await fcan.json<{ loaded: number; sha256: Record<string, string> }>('init.json');
    expect(init.loaded).toBe(vggEntries.length);
    const { loadCheckpoint, disposeCheckpoint } = await import('../../lib/tensor/checkpoint.ts');
    const ck = await loadCheckpoint(join(fcan.dir, 'checkpoint'));
    const conv = vggEntries.find((e) => e.layer === 'block3_conv2' && e.weight === 'kernel')!;
    expect(sha256(ck.weights['conv3_2/weights'].dataSync() as Float32Array)).toBe(sha256(conv.data));
    // fc6/fc7 start random (the stage's seed rebuilds them) and heads-only pretraining moves them
    const fresh = buildModel('deeplab-largefov-vgg16', { classes: VOC_CLASSES.length, seed: 1234, widthDivisor: WIDTH });
    for (const name of ['fc6/weights', 'fc7/weights']) {
      expect(init.sha256[name]).toBe(sha256(fresh.params.get(name)!.variable.dataSync() as Float32Array));
      expect(sha256(ck.weights[name].dataSync() as Float32Array), name).not.toBe(init.sha256[name]);
    }
    fresh.dispose();
    disposeCheckpoint(ck);
    expect(o.find((x) => x.stage === 'eval')!.metrics.images).toBe(3);
  }, 600_000);
});
