// An onnx saliency detector on simulated GPUs, through the CLI: the three saliency passes of the
// micro profile run a tiny ONNX network (written by the test) on onnxruntime. With `--gpus auto`
// (a fake nvidia-smi, DCSP_GPU_SIMULATE=1) each pass holds a GPU slot and its process sees only
// that card, while it computes on the CPU provider its key names, so its bytes equal a run without
// GPUs. Asking for the CUDA provider where it is not installed is exit 2 in one line. (No GPU or
// CUDA provider here: that the sessions run on CUDA is not shown; docs/voc-and-gpus.md says so.)
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { onnxCudaLibrary } from '../../lib/tensor/onnx-provider.ts';
import { cliWithFakeGpus, fakeNvidiaSmi, heldFrom } from '../fixtures/fake-gpus.ts';
import { writeOnnxModel } from '../saliency/onnx-writer.ts';
import { committed } from './committed.ts';

const base = mkdtempSync(join(tmpdir(), 'dcsp-onnx-gpu-'));
const bin = fakeNvidiaSmi(base, ['Fake GPU A', 'Fake GPU B']);
const model = join(base, 'tiny.onnx');
const SIDE = 16;
const PASSES = ['saliency-s1', 'erase-s2', 'erase-s3'];

// a 3x3 convolution to one channel, then a sigmoid: a saliency map that follows the image's colours
writeFileSync(
  model,
  writeOnnxModel({
    inputs: [{ name: 'image', dims: [1, 3, SIDE, SIDE] }],
    outputs: [{ name: 'saliency', dims: [1, 1, SIDE, SIDE] }],
    initializers: [
      { name: 'w', dims: [1, 3, 3, 3], data: Float32Array.from({ length: 27 }, (_, i) => ((i % 7) - 3) / 6) },
      { name: 'b', dims: [1], data: Float32Array.of(0.1) },
    ],
    nodes: [
      { op: 'Conv', inputs: ['image', 'w', 'b'], outputs: ['logits'], ints: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'Sigmoid', inputs: ['logits'], outputs: ['saliency'] },
    ],
  }),
);

const RUN = [
  'run',
  '--profile',
  'micro',
  '--until',
  'erase-s3',
  ...[
    'dataset.toy.counts.train=8',
    'dataset.toy.counts.val=2',
    'saliency-s1.detector=onnx',
    `saliency-s1.model=${model}`,
    `saliency-s1.options={inputSize: [${SIDE}, ${SIDE}]}`,
  ].flatMap((s) => ['--set', s]),
];

const cli = (cache: string, args: string[], env: Record<string, string> = {}) => cliWithFakeGpus(bin, cache, args, env);

describe('onnx saliency passes on simulated GPUs', () => {
  const plain = join(base, 'plain');
  const gpus = join(base, 'gpus');
  let log = '';
  beforeAll(async () => {
    const r = await cli(plain, RUN);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const g = await cli(gpus, [...RUN, '--gpus', 'auto'], { DCSP_GPU_SIMULATE: '1' });
    expect(g.code, g.stderr.slice(-2000)).toBe(0);
    log = g.stderr;
  }, 300_000);

  it('says which provider the onnx stages run on and that they hold GPU slots', () => {
    expect(log).toContain(`onnxruntime: ${PASSES.join(', ')} on its CPU provider, each holding a GPU slot (simulated) (backend wasm computes on no GPU)`);
  });

  it('each pass held a GPU, its process seeing only that card, one pass at a time on a card', () => {
    const held = heldFrom(gpus).filter((h) => PASSES.includes(h.stage));
    expect(held.map((h) => h.stage).sort()).toEqual([...PASSES].sort());
    for (const h of held) {
      expect(h.gpu, h.stage).not.toBeNull();
      expect(h.backend).toBe('onnxruntime-cpu');
      expect(h.simulated).toBe(true);
      expect(h.env?.CUDA_VISIBLE_DEVICES).toBe(String(h.gpu));
    }
    // without GPUs they hold none
    for (const h of heldFrom(plain).filter((x) => PASSES.includes(x.stage))) expect(h.gpu).toBeNull();
  });

  it('the maps are the bytes of the run without GPUs, under the same keys', () => {
    const a = committed(plain);
    const b = committed(gpus);
    for (const s of PASSES) {
      expect(Object.keys(a[s] ?? {}), s).toHaveLength(1);
      expect(b[s], s).toEqual(a[s]);
    }
  });

  it('DCSP_ONNX_PROVIDER=cuda where the CUDA provider is not installed is exit 2, one line naming the library', async () => {
    const r = await cli(join(base, 'cuda'), RUN, { DCSP_ONNX_PROVIDER: 'cuda' });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines.at(-1)).toContain(`DCSP_ONNX_PROVIDER=cuda, but onnxruntime's CUDA provider is not installed (${onnxCudaLibrary()})`);
  });
});
