// Training-step cost of the reference network (lib/tensor/reference-net.ts) on wasm and cpu, and the
// replaced wasm kernels against the ones tfjs-backend-wasm ships. Everything is measured in this one
// run; the figures that matter are the ratios.
//
//   node --import tsx bench/train-step.ts [--skip-cpu] [--reps N]
//
// Batch 8 of 96x96x3 inputs; loss = mean of squared outputs; SGD momentum 0.9.

import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/tensor/backend.ts';
import { createReferenceNet, referenceNetMacs, type ReferenceNet } from '../lib/tensor/reference-net.ts';
import { seededNormal } from '../lib/tensor/random.ts';
import { MomentumSgd } from '../lib/tensor/sgd.ts';
import { originalWasmKernel } from '../lib/tensor/wasm-kernels.ts';

const args = process.argv.slice(2);
const skipCpu = args.includes('--skip-cpu');
const repsArg = args.indexOf('--reps');
const REPS = repsArg >= 0 ? Number(args[repsArg + 1]) : 5;
const BATCH = 8;
const SIZE = 96;

interface Timing {
  min: number;
  median: number;
}

function summarise(ms: number[]): Timing {
  const s = [...ms].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)] };
}

async function timeIt(reps: number, warmup: number, f: () => Promise<void>): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await f();
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await f();
    ms.push(performance.now() - t);
  }
  return summarise(ms);
}

function setup(): { net: ReferenceNet; opt: MomentumSgd; x: tf.Tensor4D } {
  const net = createReferenceNet(1);
  return { net, opt: new MomentumSgd(net.variables, { momentum: 0.9 }), x: seededNormal<tf.Rank.R4>([BATCH, SIZE, SIZE, 3], 1, 2) };
}

async function forward(net: ReferenceNet, x: tf.Tensor4D): Promise<void> {
  const y = net.forward(x);
  await y.data();
  y.dispose();
}

async function step(net: ReferenceNet, opt: MomentumSgd, x: tf.Tensor4D): Promise<number> {
  const { value, grads } = tf.variableGrads(() => net.loss(x), opt.variables());
  opt.step(grads, 1e-3);
  const loss = (await value.data())[0];
  tf.dispose(grads);
  value.dispose();
  return loss;
}

async function measure(backend: 'wasm' | 'cpu', reps: number, warmup: number): Promise<{ fwd: Timing; step: Timing; leak: number }> {
  await initBackend({ prefer: backend, log: (l) => console.log(l) });
  const { net, opt, x } = setup();
  for (let i = 0; i < warmup; i++) {
    await forward(net, x);
    await step(net, opt, x);
  }
  // Forward and step alternate, so both see the same background load on a shared machine.
  const fwd: number[] = [];
  const st: number[] = [];
  const before = tf.memory().numTensors;
  for (let i = 0; i < reps; i++) {
    let t = performance.now();
    await forward(net, x);
    fwd.push(performance.now() - t);
    t = performance.now();
    await step(net, opt, x);
    st.push(performance.now() - t);
  }
  const leak = tf.memory().numTensors - before;
  net.dispose();
  opt.dispose();
  x.dispose();
  return { fwd: summarise(fwd), step: summarise(st), leak };
}

/** Our registered kernel against the one tfjs-backend-wasm shipped, on the same inputs. */
async function compareKernel(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap, label: string): Promise<void> {
  const ours = tf.getKernel(name, 'wasm');
  const theirs = originalWasmKernel(name);
  if (ours === undefined || theirs === undefined) return;
  const be = tf.backend();
  const run = (k: tf.KernelConfig) => async () => {
    const out = k.kernelFunc({ inputs, attrs, backend: be }) as tf.TensorInfo;
    be.readSync(out.dataId);
    be.disposeData(out.dataId);
  };
  const a = await timeIt(REPS, 1, run(ours));
  const b = await timeIt(REPS, 1, run(theirs));
  console.log(
    `  ${label.padEnd(44)} ours ${a.min.toFixed(1).padStart(6)} ms   shipped ${b.min.toFixed(1).padStart(6)} ms   shipped/ours ${(b.min / a.min).toFixed(2)}`,
  );
}

const macs = referenceNetMacs(BATCH, SIZE);
console.log(`reference network: batch ${BATCH} of ${SIZE}x${SIZE}x3, ${(macs / 1e9).toFixed(2)} GMAC per forward`);
console.log('(shared 2-core machine: min and median of the repetitions; ratios use the minima)');

const wasm = await measure('wasm', REPS, 2);
console.log(`wasm forward  min ${wasm.fwd.min.toFixed(0)} ms  median ${wasm.fwd.median.toFixed(0)} ms  (${(macs / wasm.fwd.min / 1e6).toFixed(1)} GMAC/s)`);
console.log(`wasm step     min ${wasm.step.min.toFixed(0)} ms  median ${wasm.step.median.toFixed(0)} ms  tensors leaked over ${REPS} steps: ${wasm.leak}`);
console.log(`wasm step / wasm forward = ${(wasm.step.min / wasm.fwd.min).toFixed(2)}   (goal: step <= 350 ms, ~4x forward; 3x is the physical target)`);

console.log('replaced wasm kernels, same inputs:');
{
  const dy = seededNormal<tf.Rank.R4>([8, 48, 48, 64], 1, 4);
  const w = seededNormal<tf.Rank.R4>([3, 3, 32, 64], 1, 5);
  await compareKernel(
    'Conv2DBackpropInput',
    { dy, filter: w },
    { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: [8, 48, 48, 32] },
    'Conv2DBackpropInput 3x3 32->64 48x48 stride 1',
  );
  const dy2 = seededNormal<tf.Rank.R4>([8, 24, 24, 64], 1, 6);
  await compareKernel(
    'Conv2DBackpropInput',
    { dy: dy2, filter: w },
    { strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: [8, 48, 48, 32] },
    'Conv2DBackpropInput 3x3 32->64 48x48 stride 2',
  );
  const x = seededNormal<tf.Rank.R4>([8, 48, 48, 64], 1, 7);
  const pooled = tf.maxPool(x, 2, 2, 'same');
  await compareKernel(
    'MaxPoolGrad',
    { dy: dy2, input: x, output: pooled },
    { filterSize: 2, strides: 2, pad: 'same' },
    'MaxPoolGrad 2x2/2 48x48x64 (shipped one is wrong)',
  );
  tf.dispose([dy, w, dy2, x, pooled]);
}

if (skipCpu) {
  console.log('cpu: skipped (--skip-cpu)');
} else {
  const cpu = await measure('cpu', 1, 0);
  console.log(`cpu forward   ${cpu.fwd.min.toFixed(0)} ms   cpu step ${cpu.step.min.toFixed(0)} ms (one step)`);
  console.log(`cpu step / wasm step = ${(cpu.step.min / wasm.step.min).toFixed(1)}   cpu forward / wasm forward = ${(cpu.fwd.min / wasm.fwd.min).toFixed(1)}`);
}
