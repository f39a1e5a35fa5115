// ImageNet initialisation: a Keras-layout HDF5 written here with h5wasm (narrow copies of the
// networks, same layer names) is mapped onto the models and every mapped tensor is checked; the
// pinned-checksum download is tested against a local HTTP server.

import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../../lib/model/build.ts';
import { resolveImagenetWeights } from '../../lib/model/init-download.ts';
import { loadKerasWeights } from '../../lib/model/keras-weights.ts';
import { useTestBackend } from '../tensor/test-backend.ts';
import { Prng } from '../../lib/tensor/random.ts';
import { resnetEntries, vgg16Entries, writeKerasH5 } from './keras-h5.ts';
import { VOC_CLASSES } from '../../lib/types.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'keras-h5-'));
beforeAll(async () => {
  await useTestBackend();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Keras HDF5 -> model', () => {
  it('maps every ResNet101 layer (bias folded into the BN mean) and leaves only ASPP + head random', async () => {
    const model = buildModel('deeplabv2-resnet101', { classes: VOC_CLASSES.length, seed: 1, widthDivisor: 32 });
    const { entries, expected } = resnetEntries(model, new Prng(21));
    const file = path.join(dir, 'resnet.h5');
    await writeKerasH5(file, entries);
    const report = await loadKerasWeights(model, file);
    expect(report.unused).toEqual([]);
    expect(report.randomInit.sort()).toEqual([
      'fc1_voc12_c0/biases',
      'fc1_voc12_c0/weights',
      'fc1_voc12_c1/biases',
      'fc1_voc12_c1/weights',
      'fc1_voc12_c2/biases',
      'fc1_voc12_c2/weights',
      'fc1_voc12_c3/biases',
      'fc1_voc12_c3/weights',
      'fc1_voc12_d0/biases',
      'fc1_voc12_d0/weights',
    ]);
    // every backbone parameter, BN statistics included, came from the file
    const backbone = [...model.params.keys()].filter((n) => !n.startsWith('fc1_voc12'));
    expect(backbone.length).toBe(expected.size);
    expect(new Set(report.loaded)).toEqual(new Set(backbone));
    for (const [name, want] of expected) {
      const got = model.params.get(name)!.variable.dataSync();
      expect(Math.max(...got.map((v, i) => Math.abs(v - want[i]))), name).toBeLessThan(1e-6);
    }
    // spot checks of the naming rule
    expect(expected.has('res4b22_branch2c/weights') && expected.has('res3a_branch1/weights') && expected.has('bn5c_branch2b/gamma')).toBe(true);

    // a missing layer and a wrong shape are named
    await writeKerasH5(
      path.join(dir, 'missing.h5'),
      entries.filter((e) => e.layer !== 'conv4_block7_2_conv'),
    );
    await expect(loadKerasWeights(model, path.join(dir, 'missing.h5'))).rejects.toThrow(/conv4_block7_2_conv\/kernel:0/);
    const bad = entries.map((e) => (e.layer === 'conv1_conv' && e.weight === 'kernel' ? { ...e, shape: [1, 7, 7, 3, e.shape[3]] } : e));
    await writeKerasH5(path.join(dir, 'bad.h5'), bad);
    await expect(loadKerasWeights(model, path.join(dir, 'bad.h5'))).rejects.toThrow(/conv1_conv\/kernel has shape/);
    model.dispose();
  });

  it('maps VGG16 block convs; fc6/fc7/fc8 and the head stay random', async () => {
    const model = buildModel('deeplab-largefov-vgg16', { classes: VOC_CLASSES.length, seed: 1, widthDivisor: 16 });
    const entries = vgg16Entries(model, new Prng(3));
    const file = path.join(dir, 'vgg.h5');
    await writeKerasH5(file, entries);
    const report = await loadKerasWeights(model, file);
    expect(report.unused).toEqual([]);
    expect(report.loaded.length).toBe(26);
    expect(report.randomInit.sort()).toEqual([
      'fc1_voc12_d0/biases',
      'fc1_voc12_d0/weights',
      'fc6/biases',
      'fc6/weights',
      'fc7/biases',
      'fc7/weights',
      'fc8_voc12/biases',
      'fc8_voc12/weights',
    ]);
    for (const e of entries) {
      const [, b, i] = /block(\d)_conv(\d)/.exec(e.layer)!;
      const got = model.params.get(`conv${b}_${i}/${e.weight === 'kernel' ? 'weights' : 'biases'}`)!.variable.dataSync();
      expect(got).toEqual(e.data);
    }
    model.dispose();
    const lite = buildModel('deeplab-lite', { classes: VOC_CLASSES.length });
    await expect(loadKerasWeights(lite, file)).rejects.toThrow(/from scratch/);
    lite.dispose();
  });
});

describe('resolveImagenetWeights', () => {
  let server: Server;
  let requests = 0;
  const body = Buffer.from(new Uint8Array(100_000).map((_, i) => (i * 31) % 251));
  const md5 = createHash('md5').update(body).digest('hex');
  let base = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      requests++;
      if (req.url === '/w.h5') {
        res.writeHead(200);
        res.end(body);
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('downloads with a checked MD5, reuses a good file, and refuses a bad hash', async () => {
    const cache = path.join(dir, 'cache');
    const source = { url: `${base}/w.h5`, file: 'w.h5', md5 };
    const p = await resolveImagenetWeights('deeplab-largefov-vgg16', 'download', cache, { source });
    expect(readFileSync(p)).toEqual(body);
    const n = requests;
    expect(await resolveImagenetWeights('deeplab-largefov-vgg16', 'download', cache, { source })).toBe(p);
    expect(requests).toBe(n);
    const wrong = { ...source, file: 'x.h5', md5: '0'.repeat(32) };
    await expect(resolveImagenetWeights('deeplab-largefov-vgg16', 'download', cache, { source: wrong })).rejects.toThrow(/MD5 [0-9a-f]{32}, expected 0{32}/);
    expect(existsSync(path.join(cache, 'x.h5'))).toBe(false);
    await expect(
      resolveImagenetWeights('deeplab-largefov-vgg16', 'download', cache, { source: { ...source, url: `${base}/nope`, file: 'y.h5' } }),
    ).rejects.toThrow(/HTTP 404/);
    await expect(resolveImagenetWeights('deeplabv2-resnet101', path.join(dir, 'none.h5'), cache)).rejects.toThrow(/does not exist/);
    await expect(resolveImagenetWeights('deeplab-lite', 'download', cache)).rejects.toThrow(/no ImageNet weights/);
  });
});
