// What TensorFlow's settings do to a training's bytes and speed on tfjs-node: the toy network
// (deeplab-lite-os4, batch 8 of 80x80 crops, Adam) trained a few steps from one seed, and the
// trained network's forward, in a fresh process per setting and round (TensorFlow reads its
// settings once per process). Settings: intra-op threads 1 and 2, each with the pipeline's
// deterministic kernels (TF_DETERMINISTIC_OPS=1, oneDNN off) and with TensorFlow's defaults
// (oneDNN custom ops on: what --nondeterministic gives), and the determinism flag alone. Rounds alternate the settings so all see
// the same machine load. Prints, per setting, the median step time and how many distinct weight
// and output hashes its rounds gave (1 = reproducible), and which settings agree with each other.
//
//   node --import tsx bench/numerics.ts [--rounds N] [--steps N]

import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { VOC_CLASSES } from '../lib/types.ts';

const ROOT = path.join(import.meta.dirname, '..');
const { values: opt } = parseArgs({
  args: process.argv.slice(2),
  options: { rounds: { type: 'string', default: '3' }, steps: { type: 'string', default: '8' }, worker: { type: 'boolean', default: false } },
});
const STEPS = Number(opt.steps);
const BATCH = 8;
const CROP = 80;

interface Sample {
  steps: number[];
  weights: string;
  output: string;
}

async function worker(): Promise<void> {
  const tf = await import('@tensorflow/tfjs');
  const { createHash } = await import('node:crypto');
  const { augment, sampleRng } = await import('../lib/model/augment.ts');
  const { buildModel } = await import('../lib/model/build.ts');
  const { trainLoop } = await import('../lib/model/train-loop.ts');
  const { initBackend } = await import('../lib/tensor/backend.ts');
  const { seededNormal } = await import('../lib/tensor/random.ts');
  const info = await initBackend({ prefer: 'tfjs-node', log: () => {} });
  if (info.name !== 'tfjs-node') throw new Error(`tfjs-node did not start: ${info.skipped.join('; ')}`);
  const model = buildModel('deeplab-lite-os4', { classes: VOC_CLASSES.length, seed: 1 });
  const SRC = 96;
  const src = new Uint8Array(SRC * SRC * 3).map((_, i) => (i * 7 + (i >> 9)) % 256);
  const cue = new Uint8Array(SRC * SRC).map((_, i) => ((i >> 5) % 3 === 0 ? 4 : 0));
  const sampler = (it: number, slot: number) => {
    const a = augment({ width: SRC, height: SRC, data: src }, { width: SRC, height: SRC, data: cue }, { crop: CROP }, sampleRng(1, it, slot));
    return { image: a.image, cue: a.label, classes: [4] };
  };
  const ticks: number[] = [performance.now()];
  await trainLoop({
    model,
    objective: 'seg',
    optimizer: 'adam',
    lr: 1e-3,
    iterations: STEPS,
    batch: BATCH,
    crop: CROP,
    sampler,
    progress: { start() {}, tick: () => ticks.push(performance.now()), done() {} },
  });
  const hash = (arrays: Iterable<ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }>): string => {
    const h = createHash('sha256');
    for (const a of arrays) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    return h.digest('hex').slice(0, 12);
  };
  const names = [...model.params.keys()].sort();
  const weights = hash(names.map((n) => model.params.get(n)!.variable.dataSync() as Float32Array));
  const y = model.forward(seededNormal<typeof tf.Rank.R4>([2, CROP, CROP, 3], 50, 2));
  const output = hash([(await y.scores.data()) as Float32Array, (await y.attention.data()) as Float32Array]);
  // the first step includes the optimiser's set-up
  const sample: Sample = { steps: ticks.slice(2).map((t, i) => t - ticks[i + 1]), weights, output };
  process.stdout.write(`${JSON.stringify(sample)}\n`);
}

const SETTINGS: { label: string; env: Record<string, string> }[] = [];
for (const threads of ['1', '2']) {
  SETTINGS.push({
    label: `${threads} thread(s), deterministic (pipeline default)`,
    env: { TF_NUM_INTRAOP_THREADS: threads, TF_DETERMINISTIC_OPS: '1', TF_ENABLE_ONEDNN_OPTS: '0' },
  });
  SETTINGS.push({
    label: `${threads} thread(s), oneDNN on (--nondeterministic)`,
    env: { TF_NUM_INTRAOP_THREADS: threads, TF_DETERMINISTIC_OPS: '0', TF_ENABLE_ONEDNN_OPTS: '1' },
  });
}
// TensorFlow's determinism flag alone (oneDNN off): what it costs on a CPU build
SETTINGS.push({
  label: '2 thread(s), oneDNN off, TF_DETERMINISTIC_OPS=0',
  env: { TF_NUM_INTRAOP_THREADS: '2', TF_DETERMINISTIC_OPS: '0', TF_ENABLE_ONEDNN_OPTS: '0' },
});

function runWorker(env: Record<string, string>): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'numerics.ts'), '--worker', '--steps', String(STEPS)], {
      cwd: ROOT,
      env: { ...process.env, ...env, TF_NUM_INTEROP_THREADS: '1', TF_CPP_MIN_LOG_LEVEL: '2' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line) as Sample);
      } catch {
        reject(new Error(`worker exited ${code}: ${err.trim().split('\n').at(-1)}`));
      }
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function parent(): Promise<void> {
  const rounds = Number(opt.rounds);
  console.log(
    `deeplab-lite-os4, batch ${BATCH} x ${CROP} x ${CROP}, ${STEPS} Adam steps from seed 1 on tfjs-node, ${rounds} rounds (a fresh process per setting and round)`,
  );
  console.log(
    `load average at start: ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
  const samples: Sample[][] = SETTINGS.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < SETTINGS.length; i++) samples[i].push(await runWorker(SETTINGS[i].env));
  }
  console.log('\n| setting | training step ms (median) | weight hashes over the rounds | output hashes |');
  console.log('|---|---:|---|---|');
  SETTINGS.forEach((s, i) => {
    const w = [...new Set(samples[i].map((x) => x.weights))];
    const o = [...new Set(samples[i].map((x) => x.output))];
    console.log(
      `| ${s.label} | ${median(samples[i].flatMap((x) => x.steps)).toFixed(0)} | ${w.length} distinct (${w.join(', ')}) | ${o.length} distinct (${o.join(', ')}) |`,
    );
  });
  const base = median(samples[0].flatMap((x) => x.steps));
  console.log('');
  SETTINGS.forEach((s, i) => {
    if (i > 0) console.log(`${s.label}: step time ${(median(samples[i].flatMap((x) => x.steps)) / base).toFixed(2)}x the first setting's`);
  });
  for (let i = 0; i < SETTINGS.length; i++) {
    for (let j = i + 1; j < SETTINGS.length; j++) {
      const same = samples[i][0].weights === samples[j][0].weights;
      console.log(`weights after ${STEPS} steps, "${SETTINGS[i].label}" vs "${SETTINGS[j].label}": ${same ? 'equal' : 'differ'}`);
    }
  }
}

if (opt.worker) await worker();
else await parent();
