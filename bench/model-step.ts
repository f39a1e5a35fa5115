// The toy profile's network (deeplab-lite-os4; --model deeplab-lite for the stride-8 one) at its
// training shape (batch 8 of 80x80 crops): the forward alone and a full training iteration of the
// 'seg' objective through trainLoop (sampling + augmentation, forward, l_s + l_c, gradients, Adam),
// on tfjs-node and wasm, and the same network's step in TensorFlow and PyTorch when a Python with
// them is at hand (bench/peers/step.py). Each runner is its own process, one thread, all pinned to
// the same core; they take turns, round after round, so all see the same machine load, and the
// ratios are computed from this one run.
//
//   node --import tsx bench/model-step.ts [--rounds N] [--reps N] [--model M] [--python EXE] [--core N]
//
// --python defaults to .cache/bench-venv/bin/python (docs/benchmarks.md: how to make it).

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { parseArgs } from 'node:util';
import { VOC_CLASSES } from '../lib/types.ts';

const ROOT = path.join(import.meta.dirname, '..');
const { values: opt } = parseArgs({
  args: process.argv.slice(2),
  options: {
    rounds: { type: 'string', default: '3' },
    reps: { type: 'string', default: '5' },
    model: { type: 'string', default: 'deeplab-lite-os4' },
    python: { type: 'string', default: path.join(ROOT, '.cache', 'bench-venv', 'bin', 'python') },
    core: { type: 'string', default: '0' },
    worker: { type: 'string' },
  },
});
const ROUNDS = Number(opt.rounds);
const REPS = Number(opt.reps);
const MODEL = opt.model;
if (MODEL !== 'deeplab-lite' && MODEL !== 'deeplab-lite-os4') throw new Error(`--model: deeplab-lite or deeplab-lite-os4, not ${MODEL}`);
const BATCH = 8;
const CROP = 80;

interface Ready {
  framework: string;
  params: number;
  gmac?: number;
}
interface RoundResult {
  forward: number[];
  step: number[];
  sampling?: number[];
}

if (opt.worker !== undefined) await worker(opt.worker);
else await parent();

// ---- a JS runner: one backend, speaking the peers' line protocol ----
async function worker(backend: string): Promise<void> {
  const tf = await import('@tensorflow/tfjs');
  const { augment, sampleRng } = await import('../lib/model/augment.ts');
  const { buildModel } = await import('../lib/model/build.ts');
  const { deeplabLiteMacs } = await import('../lib/model/deeplab-lite.ts');
  const { countParams } = await import('../lib/model/params.ts');
  const { trainLoop } = await import('../lib/model/train-loop.ts');
  const { initBackend, parseBackendName } = await import('../lib/tensor/backend.ts');
  const { seededNormal } = await import('../lib/tensor/random.ts');
  const info = await initBackend({ prefer: parseBackendName(backend, '--worker'), log: () => {} });
  if (info.name !== backend) throw new Error(`asked for ${backend}, got ${info.name}: ${info.skipped.join('; ')}`);
  const model = buildModel(MODEL as 'deeplab-lite', { classes: VOC_CLASSES.length, seed: 1 });
  const SRC = 96;
  const src = new Uint8Array(SRC * SRC * 3).map((_, i) => (i * 7) % 256);
  const cue = new Uint8Array(SRC * SRC).map((_, i) => ((i >> 5) % 3 === 0 ? 4 : 0));
  const sampler = (it: number, slot: number) => {
    const a = augment({ width: SRC, height: SRC, data: src }, { width: SRC, height: SRC, data: cue }, { crop: CROP }, sampleRng(1, it, slot));
    return { image: a.image, cue: a.label, classes: [4] };
  };
  const x = seededNormal<typeof tf.Rank.R4>([BATCH, CROP, CROP, 3], 50, 2);
  const forward = async (): Promise<number> => {
    const t = performance.now();
    const y = model.forward(x);
    await y.scores.data();
    tf.dispose([y.logits, y.attention, y.scores]);
    return performance.now() - t;
  };
  // Steady-state iterations: one trainLoop call of reps + 1 iterations, timed between its progress
  // ticks; the first interval (optimiser set-up) is dropped.
  const steps = async (n: number): Promise<number[]> => {
    const ticks: number[] = [performance.now()];
    await trainLoop({
      model,
      objective: 'seg',
      optimizer: 'adam',
      iterations: n + 1,
      batch: BATCH,
      crop: CROP,
      sampler,
      progress: { start() {}, tick: () => ticks.push(performance.now()), done() {} },
    });
    return ticks.slice(2).map((t, i) => t - ticks[i + 1]);
  };
  const sampling = (): number => {
    const t = performance.now();
    for (let s = 0; s < BATCH; s++) sampler(1, s);
    return performance.now() - t;
  };
  await forward();
  await steps(2);
  const macs = (BATCH * deeplabLiteMacs(CROP, CROP, MODEL === 'deeplab-lite' ? 8 : 4, VOC_CLASSES.length)) / 1e9;
  const ready: Ready = { framework: `tfjs ${tf.version.tfjs} on ${info.name} (${info.detail})`, params: countParams(model.params), gmac: macs };
  process.stdout.write(`${JSON.stringify({ ready })}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() !== 'round') continue;
    const fw: number[] = [];
    const sa: number[] = [];
    for (let i = 0; i < REPS; i++) {
      fw.push(await forward());
      sa.push(sampling());
    }
    const r: RoundResult = { forward: fw, step: await steps(REPS), sampling: sa };
    process.stdout.write(`${JSON.stringify(r)}\n`);
  }
  model.dispose();
}

// ---- the parent: start the runners, alternate rounds, print medians and ratios ----
interface Runner {
  label: string;
  child: ChildProcessWithoutNullStreams;
  lines: AsyncIterator<string>;
  ready: Ready;
  rounds: RoundResult[];
}

async function startRunner(label: string, cmd: string, args: string[]): Promise<Runner | string> {
  const pin = existsSync('/usr/bin/taskset') ? ['taskset', '-c', opt.core] : [];
  const [exe, ...rest] = [...pin, cmd, ...args];
  const env = { ...process.env, TF_NUM_INTRAOP_THREADS: '1', TF_NUM_INTEROP_THREADS: '1', OMP_NUM_THREADS: '1', TF_CPP_MIN_LOG_LEVEL: '2' };
  const child = spawn(exe, rest, { cwd: ROOT, env });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const rl: Interface = createInterface({ input: child.stdout });
  const lines = rl[Symbol.asyncIterator]();
  for (;;) {
    const next = await lines.next();
    if (next.done === true) {
      const why =
        stderr
          .trim()
          .split('\n')
          .filter((l) => l.trim() !== '')
          .at(-1) ?? `exit ${child.exitCode}`;
      return `${label}: not measured (${why.trim()})`;
    }
    try {
      const msg = JSON.parse(next.value) as { ready?: Ready };
      if (msg.ready !== undefined) return { label, child, lines, ready: msg.ready, rounds: [] };
    } catch {
      // a library's own chatter on stdout
    }
  }
}

async function round(r: Runner): Promise<void> {
  r.child.stdin.write('round\n');
  for (;;) {
    const next = await r.lines.next();
    if (next.done === true) throw new Error(`${r.label} exited during a round`);
    try {
      r.rounds.push(JSON.parse(next.value) as RoundResult);
      return;
    } catch {
      // chatter
    }
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function parent(): Promise<void> {
  console.log(
    `${MODEL}, batch ${BATCH} x ${CROP} x ${CROP}, ${ROUNDS} alternating rounds of ${REPS} forwards + ${REPS} steps per runner, one thread each, pinned to core ${opt.core}`,
  );
  console.log(
    `load average at start: ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
  const node = [process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'model-step.ts'), '--worker']] as const;
  const common = ['--reps', String(REPS), '--model', MODEL];
  const peers = path.join(ROOT, 'bench', 'peers', 'step.py');
  const candidates: [string, string, string[]][] = [
    ['tfjs-node', node[0], [...node[1], 'tfjs-node', ...common]],
    ['wasm', node[0], [...node[1], 'wasm', ...common]],
  ];
  if (MODEL === 'deeplab-lite-os4') {
    candidates.push(['TensorFlow', opt.python, [peers, 'tf', '--reps', String(REPS), '--batch', String(BATCH), '--crop', String(CROP)]]);
    candidates.push(['PyTorch', opt.python, [peers, 'torch', '--reps', String(REPS), '--batch', String(BATCH), '--crop', String(CROP)]]);
  }
  const runners: Runner[] = [];
  for (const [label, cmd, args] of candidates) {
    const r = existsSync(cmd) ? await startRunner(label, cmd, args) : `${label}: not measured (${cmd} not found)`;
    if (typeof r === 'string') console.log(r);
    else runners.push(r);
  }
  const ours = runners.find((r) => r.label === 'wasm' || r.label === 'tfjs-node');
  for (const r of runners) {
    if (ours !== undefined && r.ready.params !== ours.ready.params)
      throw new Error(`${r.label} has ${r.ready.params} parameters, ${ours.label} ${ours.ready.params}: not the same network`);
  }
  for (let i = 0; i < ROUNDS; i++) for (const r of runners) await round(r);
  for (const r of runners) r.child.stdin.end();

  const rows = runners.map((r) => {
    const fw = median(r.rounds.flatMap((x) => x.forward));
    const st = median(r.rounds.flatMap((x) => x.step));
    const sa = r.rounds[0].sampling === undefined ? undefined : median(r.rounds.flatMap((x) => x.sampling ?? []));
    return { r, fw, st, sa };
  });
  console.log(`\n| runner | forward ms | training step ms | of which sampling ms | step / forward |`);
  console.log(`|---|---:|---:|---:|---:|`);
  for (const { r, fw, st, sa } of rows) {
    console.log(`| ${r.ready.framework} | ${fw.toFixed(1)} | ${st.toFixed(1)} | ${sa === undefined ? '-' : sa.toFixed(1)} | ${(st / fw).toFixed(2)}x |`);
  }
  const get = (label: string) => rows.find((x) => x.r.label === label);
  const tfn = get('tfjs-node'),
    wasm = get('wasm'),
    tfp = get('TensorFlow'),
    pt = get('PyTorch');
  console.log('');
  if (tfn !== undefined && tfp !== undefined)
    console.log(`tfjs-node / TensorFlow: training step ${(tfn.st / tfp.st).toFixed(2)}x, forward ${(tfn.fw / tfp.fw).toFixed(2)}x`);
  if (tfn !== undefined && pt !== undefined)
    console.log(`tfjs-node / PyTorch:    training step ${(tfn.st / pt.st).toFixed(2)}x, forward ${(tfn.fw / pt.fw).toFixed(2)}x`);
  if (tfn !== undefined && wasm !== undefined)
    console.log(`wasm / tfjs-node:       training step ${(wasm.st / tfn.st).toFixed(2)}x, forward ${(wasm.fw / tfn.fw).toFixed(2)}x`);
  if (wasm !== undefined) console.log(`wasm step / its forward: ${(wasm.st / wasm.fw).toFixed(2)}x`);
  console.log(
    `load average at end: ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
}
