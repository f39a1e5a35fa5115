// `pipeline doctor`: before a long run, what it will run on and how long it will take. The backend
// the run would choose and why, the GPU libraries found or missing, the data and weights present
// or to download against the free disk, and the compute estimate of lib/doctor/estimate.ts with
// times measured here.
import { availableParallelism, loadavg } from 'node:os';
import type { ResolvedStage } from '../dag/resolve.ts';
import { initBackend, type BackendInfo } from '../tensor/backend.ts';
import { formatDuration } from '../format.ts';
import { estimateRun, type Measurer, type RunEstimate } from './estimate.ts';
import { isolatedMeasurer } from './measure.ts';
import { freeBytes, gpuReport, neededFiles, type GpuReport, type NeededFile } from './system.ts';

export interface DoctorReport {
  profile: string;
  backend: { name: string; detail: string; skipped: string[] };
  gpu: GpuReport;
  files: NeededFile[];
  freeBytes: number;
  /** 1-minute load average when the measurements ended, and the cores: how busy the machine was */
  load: { average: number; cores: number };
  estimate: RunEstimate;
}

export interface DoctorOptions {
  profile: string;
  stages: ResolvedStage[];
  dataDir: string;
  measure?: Measurer;
  workers?: number;
  log?: (line: string) => void;
}

export async function runDoctor(opts: DoctorOptions): Promise<DoctorReport> {
  const info: BackendInfo = await initBackend({ log: opts.log ?? (() => {}) });
  const workers = opts.workers ?? availableParallelism();
  const estimate = await estimateRun(opts.stages, opts.measure ?? isolatedMeasurer(), workers);
  return {
    profile: opts.profile,
    backend: { name: info.name, detail: info.detail, skipped: info.skipped },
    gpu: gpuReport(),
    files: neededFiles(opts.stages, opts.dataDir),
    freeBytes: freeBytes(opts.dataDir),
    load: { average: Math.round(loadavg()[0] * 10) / 10, cores: availableParallelism() },
    estimate,
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
  lines.push(
    `estimate (${e.images.train.toLocaleString('en-US')} train / ${e.images.val.toLocaleString('en-US')} val images of about ${e.images.width}x${e.images.height}; times measured here on ${r.backend.name}):`,
  );
  for (const s of e.stages) lines.push(`  ${s.stage.padEnd(15)} ${(s.seconds === null ? '-' : formatDuration(s.seconds)).padStart(12)}  ${s.how}`);
  const atLeast = e.unmeasured.length ? 'at least ' : '';
  lines.push(
    `  total: ${atLeast}${formatDuration(e.seconds)} of compute (training stages one after another, per-image stages over ${e.workers} workers)${e.unmeasured.length ? `; not counted: ${e.unmeasured.join(', ')}, which could not be measured here` : ''}`,
  );
  lines.push(
    `  measured under a load average of ${r.load.average} on ${r.load.cores} cores${r.load.average > r.load.cores ? ' (a busy machine: the times are high)' : ''}`,
  );
  const gpu = r.backend.name === 'tfjs-node-gpu';
  if (!gpu && e.seconds > 86400)
    lines.push(
      `on this machine's CPU the run would take ${atLeast || 'about '}${(e.seconds / 86400).toFixed(1)} days; it is meant for a GPU (see docs/voc-and-gpus.md)`,
    );
  const scaled = e.stages.filter((s) => s.how.includes('full size failed here')).map((s) => s.stage);
  if (scaled.length)
    lines.push(
      `the full-size network did not fit this backend (${r.backend.name}) for ${scaled.join(', ')}: those figures are for a machine where it fits; here the run would stop there`,
    );
  return lines;
}
