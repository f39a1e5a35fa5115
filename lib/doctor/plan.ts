// What doctor will time, said before it starts: the estimate run once over a measurer that only
// records its calls, and an upper bound on how long each takes (a step or pass is timed within the
// budget, after a few small profiled ones, in a process of its own).
import type { ResolvedStage } from '../dag/resolve.ts';
import { estimateRun, type MeasureCall, type Measurer, type Timed } from './estimate.ts';
import { withSourceShape } from './source-shape.ts';

export interface PlannedMeasurement {
  what: string;
  /** seconds it may take at most, about */
  upTo: number;
  /** the call, when it is small enough to share a process with the other small ones (no network to run out of memory with) */
  small?: MeasureCall;
}

const free: Timed = { seconds: 0, macs: 0, note: '' };

/** The measurements an estimate of `stages` makes, each once, with about how long each may take. */
export async function measurementPlan(stages: ResolvedStage[], budget: number, start = 5): Promise<PlannedMeasurement[]> {
  const out = new Map<string, PlannedMeasurement>();
  const note = (key: string, what: string, upTo: number, small?: MeasureCall) => {
    if (!out.has(key)) out.set(key, { what, upTo, ...(small ? { small } : {}) });
  };
  // a step or pass near the budget, its profiles (about half of it) and its process's start
  const fitted = start + 1.5 * budget;
  const recorder: Measurer = {
    trainStep: async (net, kind, crop, batch) => {
      note(`t${net.model}${kind}${crop}${batch}`, `a ${net.model} ${kind} training step (batch ${batch} x ${crop} px)`, fitted);
      return free;
    },
    forward: async (net, sizes) => {
      note(
        `f${net.model}${JSON.stringify(sizes)}`,
        `${net.model} forward passes at ${sizes.map(([w, h]) => `${w}x${h}`).join(', ')}`,
        start + sizes.length * 1.5 * budget,
      );
      return sizes.map(() => free);
    },
    saliencyStep: async (variant, size, _w, batch) => {
      note(`s${variant}${size}${batch}`, `a ${variant} training step (batch ${batch} x ${size} px)`, fitted);
      return free;
    },
    detect: async (detector, width, height) => {
      const boundary = detector.kind === 'boundary';
      note(
        `d${JSON.stringify(detector)}`,
        `a ${String(detector.kind)} detector pass at ${width}x${height}`,
        boundary ? 2 : fitted,
        boundary ? { method: 'detect', args: [detector, width, height] } : undefined,
      );
      return free;
    },
    crf: async (width, height) => {
      note(`c${width}x${height}`, `the dense CRF at ${width}x${height}`, 10, { method: 'crf', args: [width, height] });
      return 0;
    },
    decode: async (width, height) => {
      note(`j${width}x${height}`, `JPEG decoding at ${width}x${height}`, 1, { method: 'decode', args: [width, height] });
      return 0;
    },
    augment: async (width, height, crop) => {
      note(`a${width}x${height}${crop}`, `augmenting a ${crop} px crop`, 1, { method: 'augment', args: [width, height, crop] });
      return 0;
    },
    checkpoint: async (net, slots) => {
      note(`k${net.model}${slots}`, `saving and loading a ${net.model} checkpoint`, start + 10);
      return { save: 0, load: 0 };
    },
    toyImage: async (options) => {
      note('toy', 'generating toy images', 2, { method: 'toyImage', args: [options] });
      return 0;
    },
    startup: async () => {
      note('startup', 'a worker thread starting', 2, { method: 'startup', args: [] });
      return { process: 0, thread: 0 };
    },
  };
  await estimateRun(withSourceShape(stages).stages, recorder, { slots: { cores: 1, gpus: 0, jobs: 1 }, trainingThreads: 1 });
  const all = [...out.values()];
  // the small ones share one process, whose start is counted once
  return all.some((m) => m.small) ? all.map((m, i) => (m.small && i === all.findIndex((x) => x.small) ? { ...m, upTo: m.upTo + start } : m)) : all;
}
