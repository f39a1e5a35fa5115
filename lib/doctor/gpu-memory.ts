// On a GPU machine: each training's card memory at the profile's step against the card's, and
// whether two fit on one card (what `--gpu-share 2` asks of it). The figure is what the step's
// measurement process held on its card after the timed steps (nvidia-smi's per-process used
// memory): with allow-growth, TensorFlow's allocator's peak reservation plus the process's CUDA
// context, not the bytes of the tensors. Two fit when twice that stays within the card's memory
// less HEADROOM of it, left for the allocator's rounding and what else the card holds.
import type { GpuDevice } from '../gpu/devices.ts';
import type { StageEstimate, StepSize } from './estimate.ts';
import type { ChildGpuEnv } from './isolated.ts';

/** the share of a card's memory a fit leaves free */
export const HEADROOM = 0.1;

export interface TrainingMemory {
  stage: string;
  /** MiB its measurement process held after the timed steps; null: not reported (`why`) */
  mib: number | null;
  why?: string;
  /** the step timed (smaller than the profile's when that did not fit or was over the budget) */
  timed: StepSize;
  profile: StepSize;
  /**
   * two on one card within the headroom; null: not known (no figure, or only a smaller step's,
   * which fits two: the profile's step holds more, by how much was not measured)
   */
  twoFit: boolean | null;
}

export interface GpuMemoryReport {
  /** the card the measurements ran on: the first of the run's GPUs */
  device: GpuDevice;
  /** listed by a fake nvidia-smi, computed on a CPU backend (DCSP_GPU_SIMULATE=1) */
  simulated: boolean;
  /** the run's --gpu-share */
  share: number;
  /** MiB two trainings may hold together: the card's less HEADROOM; null when nvidia-smi gave no total */
  usableMiB: number | null;
  trainings: TrainingMemory[];
  /** what the measurement processes saw of the GPU environment, each distinct one */
  childEnvs: ChildGpuEnv[];
}

const sameStep = (a: StepSize, b: StepSize) => a.batch === b.batch && a.side === b.side;

/** The memory report of an estimate's trainings measured on `device`. */
export function gpuMemoryReport(
  stages: readonly StageEstimate[],
  device: GpuDevice,
  simulated: boolean,
  share: number,
  childEnvs: ChildGpuEnv[],
): GpuMemoryReport {
  const usableMiB = device.memoryMiB === null ? null : Math.floor(device.memoryMiB * (1 - HEADROOM));
  const trainings = stages.flatMap((s): TrainingMemory[] => {
    if (!s.memory) return [];
    const { measured, timed, profile } = s.memory;
    const mib = measured.mib;
    let twoFit: boolean | null = null;
    if (mib !== null && usableMiB !== null) {
      // a smaller step that does not fit two says the profile's, which holds more, does not either
      if (2 * mib > usableMiB) twoFit = false;
      else if (sameStep(timed, profile)) twoFit = true;
    }
    return [{ stage: s.stage, mib, ...('why' in measured ? { why: measured.why } : {}), timed, profile, twoFit }];
  });
  return { device, simulated, share, usableMiB, trainings, childEnvs };
}

const inMiB = (v: number) => `${v.toLocaleString('en-US')} MiB`;
const step = (s: StepSize) => `batch ${s.batch} x ${s.side} px`;

/** The report's lines: a heading, one per training, and a warning when --gpu-share puts more on a card than fit. */
export function formatGpuMemory(r: GpuMemoryReport): string[] {
  const d = r.device;
  const total = d.memoryMiB === null ? 'memory not given by nvidia-smi' : inMiB(d.memoryMiB);
  const card = `${d.memoryMiB === null ? 'of a card whose memory nvidia-smi did not give' : `of the card's ${total}`} (GPU ${d.index}, ${d.name})`;
  const seen = r.childEnvs.map(
    (e) => `CUDA_VISIBLE_DEVICES=${e.CUDA_VISIBLE_DEVICES ?? '(unset)'}, TF_FORCE_GPU_ALLOW_GROWTH=${e.TF_FORCE_GPU_ALLOW_GROWTH ?? '(unset)'}`,
  );
  const lines = [
    `GPU memory of each training, measured on GPU ${d.index} (${d.name}) with nvidia-smi after its timed steps (TensorFlow's allocation with allow-growth: its peak reservation, not the tensors' bytes); two fit when together within ${Math.round((1 - HEADROOM) * 100)}% of the card${r.simulated ? "; SIMULATED (DCSP_GPU_SIMULATE=1): the card and its figures are a fake nvidia-smi's, the steps ran on a CPU backend" : ''}:`,
  ];
  if (seen.length) lines.push(`  the measurement processes saw ${seen.join('; ')}`);
  if (!r.trainings.length) lines.push('  no training among the stages measured');
  for (const t of r.trainings) {
    const smaller = !sameStep(t.timed, t.profile);
    if (t.mib === null) {
      lines.push(`  ${t.stage}: memory not reported (${t.why}), so no figure at ${step(t.timed)}; the card (GPU ${d.index}, ${d.name}): ${total}`);
      continue;
    }
    const at = smaller ? `at ${step(t.timed)}` : `at batch ${t.profile.batch} (${t.profile.side} px)`;
    const which = smaller ? ` (the step timed here: the profile's ${step(t.profile)} holds more, how much not measured)` : '';
    const verdict =
      t.twoFit === true
        ? 'two fit on one card'
        : t.twoFit === false
          ? `two do not fit${smaller ? ', even at the smaller step' : ''} (--gpu-share 2 would fail)`
          : smaller
            ? "whether two fit at the profile's step is not known"
            : 'whether two fit is not known (no card memory from nvidia-smi)';
    lines.push(`  ${t.stage}: ${inMiB(t.mib)} ${at} ${card}${which}: ${verdict}`);
  }
  if (r.share > 1 && r.usableMiB !== null) {
    const over = r.trainings.filter((t) => t.mib !== null && r.share * t.mib > r.usableMiB!);
    if (over.length)
      lines.push(
        `warning: --gpu-share ${r.share} lets ${r.share} tensor stages hold one card at once, and ${r.share} x ${over.map((t) => `${t.stage} (${inMiB(t.mib!)})`).join(', ')} exceed the ${inMiB(r.usableMiB)} usable: a run may fail out of memory where trainings meet on a card`,
      );
  }
  return lines;
}
