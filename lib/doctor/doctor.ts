// `pipeline doctor`: before a long run, what it will run on and how long it will take. The backend
// the run would choose and why, the GPU libraries found or missing, the data and weights present
// or to download against the free disk, and the estimate of lib/doctor/estimate.ts with times
// measured here: each stage's compute, and the run's wall time on the slots it will have. On a GPU
// machine the measurements run on the first of the run's GPUs, and each training's card memory is
// set against the card's (lib/doctor/gpu-memory.ts).
import { availableParallelism, loadavg } from 'node:os';
import type { ResolvedStage } from '../dag/resolve.ts';
import { gpuProcessEnv, type GpuPlan } from '../gpu/plan.ts';
import { initBackend, type BackendInfo } from '../tensor/backend.ts';
import { isNative, readNumericsSetting } from '../tensor/numerics.ts';
import { formatDuration } from '../format.ts';
import { estimateRun, type Measurer, type RunEstimate } from './estimate.ts';
import { formatGpuMemory, gpuMemoryReport, type GpuMemoryReport } from './gpu-memory.ts';
import { isolatedMeasurer, type IsolatedMeasurer } from './isolated.ts';
import { BUDGET } from './measure.ts';
import { measurementPlan } from './plan.ts';
import { withSourceShape } from './source-shape.ts';
import type { Slots } from './schedule.ts';
import { freeBytes, gpuReport, neededFiles, type GpuReport, type NeededFile } from './system.ts';

export interface DoctorReport {
  profile: string;
  backend: { name: string; detail: string; skipped: string[] };
  gpu: GpuReport;
  files: NeededFile[];
  freeBytes: number;
  /** 1-minute load average when the measurements ended, and the cores: how busy the machine was */
  load: { average: number; cores: number };
  /** seconds the measurements took */
  measuredIn: number;
  estimate: RunEstimate;
  /** with the run's GPUs: each training's card memory on the first of them; null without */
  gpuMemory: GpuMemoryReport | null;
}

export interface DoctorOptions {
  profile: string;
  stages: ResolvedStage[];
  dataDir: string;
  measure?: Measurer;
  /**
   * The run's GPUs (null: the cores are the slots), from its `--gpus` and `--gpu-share`, which
   * `pipeline doctor` reads as the run does: the slots are the devices times the share, and the
   * measurements run on the first device.
   */
  gpus?: GpuPlan | null;
  /** the run writes TensorBoard files, so its trainings measure their val sample at each checkpoint (default true) */
  probes?: boolean;
  /** a command doing what the run does before its first stage (`pipeline status`), timed as the run's own start */
  runStart?: string[];
  /** stages the run computes at once (its --jobs; default the cores) */
  jobs?: number;
  /** seconds one timed step or pass may take before a smaller one is timed and scaled */
  budget?: number;
  log?: (line: string) => void;
}

export async function runDoctor(opts: DoctorOptions): Promise<DoctorReport> {
  const log = opts.log ?? (() => {});
  const info: BackendInfo = await initBackend({ log: () => {} });
  const cores = availableParallelism();
  const gpus = opts.gpus ?? null;
  const slots: Slots = { cores, gpus: gpus ? gpus.devices.length * gpus.share : 0, jobs: opts.jobs ?? cores };
  // one card, as a stage process holding it has it
  const card = gpus ? gpus.devices[0] : null;
  const budget = opts.budget ?? BUDGET;
  const plan = opts.measure ? [] : await measurementPlan(opts.stages, budget);
  if (!opts.measure) {
    const upTo = plan.reduce((a, m) => a + m.upTo, 0);
    const on = card ? `GPU ${card.index} (${card.name}${gpus?.simulated ? ', simulated' : ''}) with ${info.name}` : info.name;
    log(
      `doctor: timing ${plan.length} things on ${on}, one after another (the small ones in one process), in about ${formatDuration(upTo)} (longer on a busy machine, or where a step must be retried smaller):`,
    );
    for (const m of plan) log(`  ${m.what}`);
    if (opts.runStart) log("  the run's own start: `pipeline status` of the same profile and settings");
  }
  const t0 = performance.now();
  let measure: Measurer;
  let isolated: IsolatedMeasurer | null = null;
  if (opts.measure) measure = opts.measure;
  else {
    isolated = isolatedMeasurer(
      { budget },
      (what, s) => log(`  ${s === null ? 'failed' : formatDuration(s)}  ${what}`),
      opts.runStart,
      card ? gpuProcessEnv(card) : undefined,
    );
    await isolated.prefetch(plan.flatMap((m) => (m.small ? [m.small] : [])));
    measure = isolated;
  }
  // training threads as the executor counts them: a native training holds its TensorFlow threads
  const setting = readNumericsSetting().setting;
  const trainingThreads = isNative(info.name) ? (setting.threads ?? 1) : 1;
  const shaped = withSourceShape(opts.stages);
  const estimate = shaped.relabel(
    await estimateRun(shaped.stages, measure, {
      slots,
      trainingThreads,
      probes: opts.probes ?? true,
      onnxOnGpu: setting.onnx?.provider === 'cuda',
    }),
  );
  return {
    profile: opts.profile,
    backend: { name: info.name, detail: info.detail, skipped: info.skipped },
    gpu: gpuReport(),
    files: neededFiles(opts.stages, opts.dataDir),
    freeBytes: freeBytes(opts.dataDir),
    load: { average: Math.round(loadavg()[0] * 10) / 10, cores },
    measuredIn: (performance.now() - t0) / 1000,
    estimate,
    gpuMemory: gpus && card ? gpuMemoryReport(estimate.stages, card, gpus.simulated, gpus.share, isolated?.childEnvs() ?? []) : null,
  };
}

const gb = (b: number): string => `${(b / 1e9).toFixed(b < 1e9 ? 2 : 1)} GB`;

export function formatDoctor(r: DoctorReport): string[] {
  const lines: string[] = [`profile ${r.profile}`];
  lines.push(`backend: ${r.backend.name} (${r.backend.detail})`);
  for (const s of r.backend.skipped) lines.push(`  not chosen: ${s}`);
  const libs = Object.entries(r.gpu.libraries);
  const missing = libs.filter(([, f]) => f === null).map(([l]) => l);
  lines.push(
    `gpu: ${r.gpu.device ? '/dev/nvidia0 present' : 'no NVIDIA device (/dev/nvidia0)'}; @tensorflow/tfjs-node-gpu ${r.gpu.tfjsNodeGpu ? 'installed' : 'not installed'}`,
  );
  lines.push(`  CUDA/cuDNN libraries: ${libs.length - missing.length} of ${libs.length} found${missing.length ? `; missing ${missing.join(', ')}` : ''}`);
  for (const [l, f] of libs) if (f) lines.push(`    ${l}: ${f}`);
  if (r.files.length) {
    lines.push('data and weights:');
    let toFetch = 0;
    for (const f of r.files) {
      if (!f.present && f.bytes) toFetch += f.bytes;
      lines.push(`  ${f.present ? 'present    ' : 'to download'} ${f.what}${f.bytes ? ` (${gb(f.bytes)})` : ''}: ${f.path}`);
    }
    lines.push(`  ${gb(toFetch)} to download (extracted, about twice that), ${gb(r.freeBytes)} free`);
  }
  const e = r.estimate;
  const gpu = r.backend.name === 'tfjs-node-gpu';
  lines.push(
    `estimate (${e.images.train.toLocaleString('en-US')} train / ${e.images.val.toLocaleString('en-US')} val images of about ${e.images.width}x${e.images.height}; times measured here on ${r.backend.name} in ${formatDuration(r.measuredIn)}):`,
  );
  // the arithmetic in TFLOPs lets a user without this machine's backend scale by a card's throughput
  const tflops = (macs: number) => (macs > 0 ? `${((2 * macs) / 1e12).toPrecision(3)} TFLOP` : '');
  for (const s of e.stages) {
    const t = s.seconds === null ? '-' : formatDuration(s.start + s.serial + s.seconds);
    lines.push(`  ${s.stage.padEnd(15)} ${t.padStart(8)} ${gpu ? '' : tflops(s.macs).padStart(13)}  ${s.how}`);
  }
  lines.push(
    `  ${"the run's start".padEnd(15)} ${formatDuration(e.runStart).padStart(8)} ${gpu ? '' : ' '.repeat(13)}  its command up to the first stage (loading the pipeline, planning the keys)`,
  );
  const atLeast = e.unmeasured.length ? 'at least ' : '';
  const where = e.slots.gpus > 0 ? `${e.slots.gpus} GPU${e.slots.gpus > 1 ? 's' : ''} and ${e.slots.cores} cores` : `${e.slots.cores} cores`;
  lines.push(`  compute: ${atLeast}${formatDuration(e.compute)} on one slot each (each stage's start and fixed costs included)`);
  lines.push(
    `  wall time: ${atLeast}${formatDuration(e.wall)} on ${where}, ${e.slots.jobs} stage${e.slots.jobs > 1 ? 's' : ''} at a time (the DAG's critical path: ${e.critical.join(' > ')})${e.unmeasured.length ? `; not counted: ${e.unmeasured.join(', ')}, which could not be measured here` : ''}`,
  );
  if (!gpu) {
    const total = e.stages.reduce((a, s) => a + s.macs, 0);
    lines.push(`  ${tflops(total)} in all (multiply-adds of convolutions and products, x2): on a GPU, divide by its sustained TFLOP/s`);
  }
  lines.push(
    `  measured under a load average of ${r.load.average} on ${r.load.cores} cores${r.load.average > r.load.cores ? ' (a busy machine: the times are high)' : ''}`,
  );
  if (r.gpuMemory) lines.push(...formatGpuMemory(r.gpuMemory));
  if (!gpu && e.wall > 86400)
    lines.push(
      `on this machine's CPU the run would take ${atLeast || 'about '}${(e.wall / 86400).toFixed(1)} days; it is meant for a GPU (see docs/voc-and-gpus.md)`,
    );
  const scaled = e.stages.filter((s) => s.how.includes('was timed and scaled')).map((s) => s.stage);
  if (scaled.length) lines.push(`timed smaller than the profile's own step or pass, and scaled by multiply-adds (each line says why): ${scaled.join(', ')}`);
  return lines;
}
