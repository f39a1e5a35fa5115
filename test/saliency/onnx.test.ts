import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDetector, ensureDownloaded, NAMED_MODELS } from '../../lib/saliency/index.ts';
import type { RgbImage } from '../../lib/types.ts';
import { mulberry32 } from './synthetic.ts';
import { writeOnnxModel } from './onnx-writer.ts';

const W = 12;
const H = 9;

function randomArray(n: number, rnd: () => number, scale: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rnd() * 2 - 1) * scale;
  return a;
}

// conv3x3(3->2, pad 1) -> Relu -> conv1x1(2->1) -> Sigmoid, weights seeded
const rnd = mulberry32(7);
const w1 = randomArray(2 * 3 * 3 * 3, rnd, 0.5);
const b1 = randomArray(2, rnd, 0.2);
const w2 = randomArray(2, rnd, 1.5);
const b2 = randomArray(1, rnd, 0.3);

/** Plain-JS forward pass of the same graph on an NCHW input (the reference). */
function reference(x: Float32Array, w: number, h: number): Float32Array {
  const hid = new Float32Array(2 * h * w);
  for (let o = 0; o < 2; o++) {
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        let acc = b1[o];
        for (let c = 0; c < 3; c++) {
          for (let ky = 0; ky < 3; ky++) {
            for (let kx = 0; kx < 3; kx++) {
              const iy = y + ky - 1;
              const ix = xx + kx - 1;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              acc += w1[((o * 3 + c) * 3 + ky) * 3 + kx] * x[(c * h + iy) * w + ix];
            }
          }
        }
        hid[(o * h + y) * w + xx] = Math.max(0, acc);
      }
    }
  }
  const out = new Float32Array(h * w);
  for (let i = 0; i < h * w; i++) out[i] = 1 / (1 + Math.exp(-(b2[0] + w2[0] * hid[i] + w2[1] * hid[h * w + i])));
  return out;
}

function makeImage(w: number, h: number, seed: number): RgbImage {
  const r = mulberry32(seed);
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(r() * 256);
  return { width: w, height: h, data };
}

let dir: string;
let modelPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'saliency-onnx-'));
  modelPath = join(dir, 'tiny.onnx');
  const bytes = writeOnnxModel({
    inputs: [{ name: 'image', dims: [1, 3, H, W] }],
    outputs: [{ name: 'saliency', dims: [1, 1, H, W] }],
    initializers: [
      { name: 'w1', dims: [2, 3, 3, 3], data: w1 },
      { name: 'b1', dims: [2], data: b1 },
      { name: 'w2', dims: [1, 2, 1, 1], data: w2 },
      { name: 'b2', dims: [1], data: b2 },
    ],
    nodes: [
      { op: 'Conv', inputs: ['image', 'w1', 'b1'], outputs: ['h1'], ints: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['h1'], outputs: ['h2'] },
      { op: 'Conv', inputs: ['h2', 'w2', 'b2'], outputs: ['logits'], ints: { kernel_shape: [1, 1] } },
      { op: 'Sigmoid', inputs: ['logits'], outputs: ['saliency'] },
    ],
  });
  await writeFile(modelPath, bytes);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('onnx detector', () => {
  it('runs a real ONNX graph through onnxruntime-node with the declared preprocessing', async () => {
    const mean: [number, number, number] = [0.4, 0.5, 0.6];
    const std: [number, number, number] = [0.2, 0.25, 0.3];
    const det = await createDetector({ kind: 'onnx', model: modelPath, inputSize: [W, H], scale: 'unit', mean, std, normalize: 'clamp' });
    try {
      const img = makeImage(W, H, 3);
      const map = await det.detect(img);
      expect(map.width).toBe(W);
      expect(map.height).toBe(H);
      // reference input, NCHW, same normalisation
      const x = new Float32Array(3 * H * W);
      for (let c = 0; c < 3; c++) for (let i = 0; i < H * W; i++) x[c * H * W + i] = (img.data[i * 3 + c] / 255 - mean[c]) / std[c];
      const want = reference(x, W, H);
      let maxErr = 0;
      for (let i = 0; i < want.length; i++) maxErr = Math.max(maxErr, Math.abs(want[i] - map.data[i]));
      expect(maxErr).toBeLessThan(1e-5);
      // the output is not trivially constant
      expect(Math.max(...want) - Math.min(...want)).toBeGreaterThan(0.05);
    } finally {
      await det.dispose();
    }
  });

  it('bgr order, min-max normalisation and resizing back to the image size', async () => {
    const det = await createDetector({ kind: 'onnx', model: modelPath, inputSize: [W, H], channelOrder: 'bgr', normalize: 'minmax', output: 'saliency' });
    try {
      const img = makeImage(37, 23, 5);
      const map = await det.detect(img);
      expect([map.width, map.height]).toEqual([37, 23]);
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of map.data) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(hi).toBeLessThanOrEqual(1);
      expect(hi - lo).toBeGreaterThan(0.5); // min-max stretched (bicubic may soften the extremes)
      await expect(createDetector({ kind: 'onnx', model: modelPath, inputSize: [W, H], output: 'nope' }).then((d) => d.detect(img))).rejects.toThrow(
        /no output nope/,
      );
    } finally {
      await det.dispose();
    }
  });

  it('rejects a local model whose pinned sha256 does not match, and unknown names', async () => {
    await expect(createDetector({ kind: 'onnx', model: modelPath, sha256: '0'.repeat(64) })).rejects.toThrow(/does not match/);
    await expect(createDetector({ kind: 'onnx', model: 'no-such-model' })).rejects.toThrow(/neither a file nor a known name/);
    await expect(createDetector({ kind: 'onnx' })).rejects.toThrow(/invalid saliency detector spec: model/);
  });
});

describe('model download', () => {
  let server: Server;
  let base: string;
  const payload = new Uint8Array(200_000).map((_, i) => (i * 31 + 7) & 255);
  const sha = createHash('sha256').update(payload).digest('hex');

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/model.onnx') {
        res.writeHead(200, { 'content-length': String(payload.length) });
        res.end(payload);
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('downloads, verifies the sha256 and reuses the verified file', async () => {
    const dest = join(dir, 'dl', 'model.onnx');
    let seen = 0;
    await ensureDownloaded(`${base}/model.onnx`, dest, { sha256: sha, bytes: payload.length, onProgress: (d) => (seen = d) });
    expect(seen).toBe(payload.length);
    // second call: no request needed (server could be gone); same path back
    expect(await ensureDownloaded(`${base}/missing`, dest, { sha256: sha })).toBe(dest);
  });

  it('discards a download with the wrong checksum and leaves nothing behind', async () => {
    const sub = join(dir, 'bad');
    const dest = join(sub, 'model.onnx');
    await expect(ensureDownloaded(`${base}/model.onnx`, dest, { sha256: 'f'.repeat(64) })).rejects.toThrow(/checksum mismatch/);
    expect(await readdir(sub)).toEqual([]);
    await expect(ensureDownloaded(`${base}/missing`, dest, { sha256: sha })).rejects.toThrow(/HTTP 404/);
    expect(await readdir(sub)).toEqual([]);
  });

  it('a named model is fetched into the model dir and checked against its pinned checksum', async () => {
    const modelDir = join(dir, 'models');
    // the local server does not serve the real u2netp bytes, so the pinned checksum must reject it
    await expect(createDetector({ kind: 'onnx', model: 'u2netp' }, { modelDir, modelUrl: `${base}/model.onnx` })).rejects.toThrow(
      /is 200000 bytes, expected 4574861|checksum mismatch/,
    );
    expect(await readdir(modelDir)).toEqual([]);
    await expect(createDetector({ kind: 'onnx', model: 'u2netp' }, { modelDir, download: false })).rejects.toThrow(/downloads are disabled/);
    expect(NAMED_MODELS.u2netp.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
