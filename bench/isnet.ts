// ISNet throughput for one saliency pass (resize to 1024x1024, network, map back) on the VOC photo:
// onnxruntime intra-op threads against the executor's per-item worker pool. The reference is one
// session with one thread, measured in the same run; every figure is printed as a ratio to it.
//
//   node --import tsx bench/isnet.ts [images per configuration, default 6] [medium|small]
//
// The model is taken from (or fetched into) test/.cache/isnet, where the tests keep it.

import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import Tinypool from 'tinypool';
import { readRgb } from '../lib/data/image-io.ts';
import { createDetector } from '../lib/saliency/index.ts';
import { ISNET_INPUT, ISNET_PREPROCESS } from '../lib/saliency/isnet.ts';
import { ensureIsnetModel } from '../lib/saliency/isnet-package.ts';
import { imageToInput, outputToMap, resolvePreprocess } from '../lib/saliency/network-io.ts';
import type { IsnetSpec, IsnetVariant } from '../lib/saliency/spec.ts';
import type { DetectTask } from '../lib/saliency/worker.ts';
import type { MapF32 } from '../lib/types.ts';
import { VOC_PHOTO_JPG } from '../test/fixtures/voc-photo.ts';

const N = Number(process.argv[2] ?? 6);
const variant = (process.argv[3] ?? 'medium') as IsnetVariant;
const modelDir = fileURLToPath(new URL('../test/.cache/isnet/', import.meta.url));
await ensureIsnetModel(modelDir, variant, { log: console.log });
const image = await readRgb(VOC_PHOTO_JPG);

interface Timing {
  label: string;
  wall: number;
  cpu: number;
}

const cpuSeconds = (c: NodeJS.CpuUsage): number => (c.user + c.system) / 1e6;

async function inProcess(threads: number): Promise<Timing> {
  const det = await createDetector({ kind: 'isnet', variant, threads } satisfies IsnetSpec, { modelDir, download: false });
  await det.detect(image); // warm-up: first run allocates the arena
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await det.detect(image);
  const t: Timing = { label: `1 session, ${threads} intra-op thread(s)`, wall: (performance.now() - t0) / 1000, cpu: cpuSeconds(process.cpuUsage(c0)) };
  await det.dispose();
  return t;
}

async function pool(workers: number, threads: number): Promise<Timing> {
  const p = new Tinypool({
    filename: fileURLToPath(new URL('../lib/saliency/worker-entry.mjs', import.meta.url)),
    minThreads: workers,
    maxThreads: workers,
    isolateWorkers: false,
  });
  const task = (): Promise<MapF32> => p.run({ spec: { kind: 'isnet', variant, threads }, image, modelDir } satisfies DetectTask);
  await Promise.all(Array.from({ length: workers }, task)); // every worker loads the model and warms up
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: N }, task));
  const t: Timing = {
    label: `pool of ${workers} workers x ${threads} thread(s)`,
    wall: (performance.now() - t0) / 1000,
    cpu: cpuSeconds(process.cpuUsage(c0)),
  };
  await p.destroy();
  return t;
}

/** The pass without the network: resize to 1024 and normalise, map back to the image. What a GPU would not take away. */
function hostSide(): Timing {
  const pre = resolvePreprocess(ISNET_PREPROCESS);
  const fake = new Float32Array(ISNET_INPUT * ISNET_INPUT).map((_, i) => (i % 997) / 997);
  const once = () => outputToMap(fake, [1, 1, ISNET_INPUT, ISNET_INPUT], pre, image.width, image.height) && imageToInput(image, pre);
  once();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < 4 * N; i++) once();
  // per image, in seconds
  return { label: 'pre- and post-processing only', wall: (performance.now() - t0) / 1000 / (4 * N), cpu: cpuSeconds(process.cpuUsage(c0)) / (4 * N) };
}

const load0 = loadavg()[0];
const runs = [await inProcess(1), await inProcess(2), await pool(2, 1)];
const ref = runs[0];
console.log(`ISNet ${variant}, one pass at 1024x1024 on ${image.width}x${image.height}, ${N} images per configuration, ${availableParallelism()} cores`);
for (const r of runs) {
  console.log(
    `${r.label.padEnd(34)} ${(N / r.wall).toFixed(3)} images/s (${(r.wall / N).toFixed(2)} s/image, ${(ref.wall / r.wall).toFixed(2)}x the 1-thread session), ${(r.cpu / N).toFixed(2)} CPU-s/image`,
  );
}
const best = runs.reduce((a, b) => (b.wall < a.wall ? b : a));
const perImage = best.wall / N;
console.log(
  `best: ${best.label}; S1 -> S3 (three passes) ${(3 * perImage).toFixed(1)} s per image, train_aug (10,582 images) ${((3 * perImage * 10582) / 3600).toFixed(1)} h`,
);
const host = hostSide();
console.log(
  `without the network (resize to ${ISNET_INPUT}, normalise, map back): ${(host.wall * 1000).toFixed(0)} ms/image, ${(host.cpu * 1000).toFixed(0)} CPU-ms/image = ${((100 * host.cpu) / (ref.cpu / N)).toFixed(1)}% of the 1-thread pass's CPU time`,
);
console.log(
  `load average ${load0.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after, on ${availableParallelism()} cores (a shared machine: other jobs take time slices)`,
);
